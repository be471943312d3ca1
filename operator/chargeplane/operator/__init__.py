"""The kopf operator (`chargeplane operator`): ChargingSite / ChargePoint -> workloads and status."""
