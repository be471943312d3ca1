"""The simulator's vocabulary, shared by every module and importing none of them:
connection states, what a pending CALL is for, session phases, and the configuration
keys / variables a virtual charger knows."""

from __future__ import annotations

# Connection states (ordered: `state >= BOOTING` means the socket is open)
OFFLINE, CONNECTING, HANDSHAKE, BOOTING, READY = range(5)
# What a pending CALL is for (TransactionEvent is used for three different steps)
STEP_NONE, STEP_START, STEP_METER, STEP_STOP = range(4)
# Session phases
IDLE_PHASE, AUTHORIZING, STARTING, CHARGING, STOPPING = range(5)

# OCPP 1.6 configuration keys (GetConfiguration / ChangeConfiguration) and their defaults
KNOWN_KEYS_16 = {
    "HeartbeatInterval": "300",
    "MeterValueSampleInterval": "15",
    "ConnectionTimeOut": "60",
    "AuthorizeRemoteTxRequests": "false",
    "NumberOfConnectors": "1",
}
# OCPP 2.0.1 (component, variable) pairs a charger accepts in SetVariables
KNOWN_VARIABLES_201 = {
    ("OCPPCommCtrlr", "HeartbeatInterval"),
    ("OCPPCommCtrlr", "RetryBackOffWaitMinimum"),
    ("OCPPCommCtrlr", "RetryBackOffRandomRange"),
    ("OCPPCommCtrlr", "RetryBackOffRepeatTimes"),
    ("SampledDataCtrlr", "TxUpdatedInterval"),
    ("AuthCtrlr", "AuthorizeRemoteStart"),
}
# Messages a charger sends on TriggerMessage
TRIGGERABLE = frozenset({"BootNotification", "Heartbeat", "StatusNotification", "MeterValues"})
