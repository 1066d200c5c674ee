"""A real SMTP server for the e-mail notifier's tests (Debian's python3-aiosmtpd).

Usage: smtp_server.py --security starttls|tls|none --cert C --key K --user U --password P --out DIR

Listens on 127.0.0.1 on a free port and prints "ready PORT" once it accepts connections. Each
message it accepts is written to DIR as N.eml (the raw message) and N.json (the envelope). AUTH is
required when --user is given; TLS (STARTTLS or implicit) is then required before it.
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Saver:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out, str(self.count))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": session.ssl is not None or args.security == "tls",
                       "authenticated": bool(getattr(session, "authenticated", False)),
                       "subject": str(message["subject"]),
                       "headerTo": str(message["to"]),
                       "text": text.get_content() if text else None,
                       "html": html.get_content() if html else None}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login.decode() == args.user
          and auth_data.password.decode() == args.password)
    # handled=False: let the server answer 535 itself (the default leaves the client hanging).
    return AuthResult(success=ok, handled=False)


parser = argparse.ArgumentParser()
parser.add_argument("--security", choices=["starttls", "tls", "none"], required=True)
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--user")
parser.add_argument("--password")
parser.add_argument("--out", required=True)
args = parser.parse_args()

context = None
if args.security != "none":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

kwargs = dict(hostname="127.0.0.1")
if args.security == "tls":
    kwargs["ssl_context"] = context
elif args.security == "starttls":
    kwargs["tls_context"] = context
    kwargs["require_starttls"] = True
if args.user:
    kwargs["authenticator"] = authenticator
    kwargs["auth_required"] = True
    # Only STARTTLS counts as TLS for aiosmtpd's own check; an implicit-TLS socket is TLS anyway.
    kwargs["auth_require_tls"] = args.security == "starttls"

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# aiosmtpd's Controller checks that it listens by connecting to its port, so it cannot be 0:
# take a free one, and another if someone took it in between.
for attempt in range(5):
    port = free_port()
    controller = Controller(Saver(args.out), port=port, server_hostname="smtp.test", **kwargs)
    try:
        controller.start()
        break
    except OSError:
        if attempt == 4:
            raise
print(f"ready {port}", flush=True)

stop = asyncio.Event()
loop = asyncio.new_event_loop()
for sig in (signal.SIGINT, signal.SIGTERM):
    loop.add_signal_handler(sig, stop.set)
loop.run_until_complete(stop.wait())
controller.stop()
