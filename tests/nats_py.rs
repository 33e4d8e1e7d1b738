//! nats-py (the official Python client, from the venv `scripts/setup-nats-server` makes)
//! against nats-server 2.15.1 and jetmirror with the same configuration: users and a
//! wrong password, accounts that do not see each other, a service import, an nkey user
//! signing the nonce, a permissions violation reported to the client's error callback,
//! per-account JetStream, a pull consumer and a KV bucket. The two transcripts must agree.

use std::time::Duration;

use jetmirror_testkit::{Kind, Server, ServerSpec};
use jetmirror_tests::run_python;

const SCRIPT: &str = r#"
import asyncio, sys
import nats
from nats.errors import NoRespondersError

URL, SEED = sys.argv[1], sys.argv[2]
out = []

async def main():
    errors = []
    async def on_error(e):
        errors.append(str(e))
    try:
        await nats.connect(URL, user="a", password="wrong", max_reconnect_attempts=0,
                           allow_reconnect=False, connect_timeout=2)
        out.append("wrong password: connected")
    except Exception as e:
        out.append(f"wrong password: {type(e).__name__}")

    a = await nats.connect(URL, user="a", password="a")
    b = await nats.connect(URL, user="b", password="b", error_cb=on_error)
    nk = await nats.connect(URL, nkeys_seed=SEED)

    # Isolation: B's publish never reaches A; the nkey user lives in A.
    sub = await a.subscribe("shared")
    await a.flush()
    await b.publish("shared", b"from b")
    await nk.publish("shared", b"from the nkey user")
    await b.flush(); await nk.flush()
    got = []
    try:
        while True:
            m = await sub.next_msg(timeout=0.5)
            got.append(m.data.decode())
    except Exception:
        pass
    out.append(f"A heard: {got}")

    # Service import: B asks A's service.
    async def svc(m):
        await m.respond(b"echo " + m.data)
    await a.subscribe("svc.echo", cb=svc)
    await a.flush()
    r = await b.request("svc.echo", b"hi", timeout=2)
    out.append(f"service reply: {r.data.decode()}")
    try:
        await b.request("not.imported", b"x", timeout=1)
        out.append("not imported: answered")
    except NoRespondersError:
        out.append("not imported: no responders")
    except Exception as e:
        out.append(f"not imported: {type(e).__name__}")

    # Permissions: B may not publish to forbidden.>
    await b.publish("forbidden.x", b"x")
    await b.flush()
    await asyncio.sleep(0.3)
    out.append(f"b errors: {errors}")

    # JetStream per account: the same stream name in A and B.
    ja, jb = a.jetstream(), b.jetstream()
    await ja.add_stream(name="S", subjects=["a.>"])
    await jb.add_stream(name="S", subjects=["b.>"])
    for i in range(3):
        await ja.publish("a.x", f"a{i}".encode())
    await jb.publish("b.y", b"b0")
    sa, sb = await ja.stream_info("S"), await jb.stream_info("S")
    out.append(f"A S: {sa.config.subjects} {sa.state.messages}; B S: {sb.config.subjects} {sb.state.messages}")
    psub = await ja.pull_subscribe("a.x", durable="D")
    msgs = await psub.fetch(3, timeout=2)
    for m in msgs:
        await m.ack()
    # nats-server applies acks on its own queue after the request that carried them:
    # give both servers the moment nats-server needs.
    await a.flush()
    await asyncio.sleep(0.3)
    out.append(f"fetched: {[m.data.decode() for m in msgs]} seqs {[m.metadata.sequence.stream for m in msgs]}")
    ci = await ja.consumer_info("S", "D")
    out.append(f"consumer: pending {ci.num_pending} ack_pending {ci.num_ack_pending} floor {ci.ack_floor.stream_seq}")
    kv = await jb.create_key_value(bucket="CFG", history=2)
    await kv.put("k", b"v1"); await kv.put("k", b"v2")
    e = await kv.get("k")
    out.append(f"kv: {e.value.decode()} rev {e.revision}")
    names = sorted([s.config.name for s in await jb.streams_info()])
    out.append(f"B streams: {names}")
    acct = await ja.account_info()
    out.append(f"A account: streams {acct.streams} consumers {acct.consumers}")

    for c in (a, b, nk):
        await c.close()

asyncio.run(main())
print("\n".join(out))
"#;

#[tokio::test]
async fn nats_py_accounts_nkeys_permissions_and_jetstream() {
    let dir = tempfile::tempdir().expect("temp dir");
    let user = nkeys::KeyPair::new_user();
    let seed = user.seed().expect("seed");
    let seed_file = dir.path().join("user.nk");
    std::fs::write(&seed_file, format!("{seed}\n")).expect("seed file");
    let script = dir.path().join("accounts.py");
    std::fs::write(&script, SCRIPT).expect("script");
    let config = format!(
        r#"
accounts {{
  A {{
    users: [ {{ user: a, password: a }}, {{ nkey: {} }} ]
    jetstream: enabled
    exports: [ {{ service: "svc.>" }} ]
  }}
  B {{
    users: [ {{ user: b, password: b, permissions: {{ publish: {{ deny: ["forbidden.>"] }} }} }} ]
    jetstream: enabled
    imports: [ {{ service: {{ account: A, subject: "svc.>" }} }} ]
  }}
}}
"#,
        user.public_key()
    );
    let mut transcripts = Vec::new();
    for kind in [Kind::NatsServer, Kind::Jetmirror] {
        let mut spec = ServerSpec::new(kind);
        spec.config = config.clone();
        spec.jetstream = true;
        let server = Server::start(spec).unwrap_or_else(|e| panic!("start {kind:?}: {e:#}"));
        let url = server.client_url();
        let out = run_python(
            &format!("{kind:?}"),
            &script,
            &[url.as_ref(), seed_file.as_os_str()],
            Duration::from_secs(60),
        )
        .await;
        transcripts.push(String::from_utf8_lossy(&out).into_owned());
        drop(server);
    }
    println!("{}", transcripts[1]);
    assert_eq!(
        transcripts[1], transcripts[0],
        "jetmirror differs from nats-server"
    );
    for expected in [
        "A heard: ['from the nkey user']",
        "service reply: echo hi",
        "permissions violation for publish to \"forbidden.x\"",
        "kv: v2 rev 2",
    ] {
        assert!(transcripts[1].contains(expected), "missing {expected:?}");
    }
}
