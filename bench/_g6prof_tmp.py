import asyncio, time, psutil, orjson, websockets, uvloop, httpx
from bench.tx_common import cluster

def split(c):
    out = {}
    for pid in c.pids:
        p = psutil.Process(pid)
        tot = 0.0
        for q in [p, *p.children(recursive=True)]:
            try:
                t = q.cpu_times(); tot += t.user + t.system
            except psutil.Error: pass
        out[p.name()] = tot
    return out

async def main(c):
    async with httpx.AsyncClient(base_url=c.api_url, headers={"Authorization": f"Bearer {c.token}"}) as http:
        await http.post("/v1/id-tokens/import", json=[{"id_token": "T0"}])
    async with websockets.connect(f"{c.ws_url}/P1", subprotocols=["ocpp1.6"]) as ws:
        await ws.send(orjson.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]).decode()); await ws.recv()
        for action, mk in (("Heartbeat", lambda i: {}), ("Authorize", lambda i: {"idTag": "T0"}), ("StartTransaction", lambda i: {"connectorId": 1, "idTag": "T0", "meterStart": i, "timestamp": "2026-11-23T10:00:00Z"})):
            a = split(c); t0 = time.perf_counter(); n = 500
            for i in range(n):
                await ws.send(orjson.dumps([2, "x", action, mk(i)]).decode()); await ws.recv()
            b = split(c)
            print(action, round((time.perf_counter()-t0)/n*1e3, 3), "ms", {k: round((b[k]-a[k])/n*1e6) for k in a})

with cluster() as c:
    uvloop.run(main(c))
