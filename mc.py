import asyncio, json, sys, nats
async def main():
    nc = await nats.connect(sys.argv[1])
    r = await nc.request("$JS.API.STREAM.CREATE.S", json.dumps({"name":"S","subjects":["s"]}).encode())
    print(json.loads(r.data)["config"].get("max_consumers"))
    for i in range(1005):
        r = await nc.request(f"$JS.API.CONSUMER.CREATE.S.c{i}", json.dumps({"stream_name":"S","config":{"name":f"c{i}","ack_policy":"explicit"}}).encode())
        d = json.loads(r.data)
        if "error" in d:
            print(i, d["error"]); break
    r = await nc.request("$JS.API.STREAM.INFO.S", b"")
    print(json.loads(r.data)["state"]["consumer_count"])
    r = await nc.request("$JS.API.INFO", b"")
    print(json.loads(r.data))
    await nc.close()
asyncio.run(main())
