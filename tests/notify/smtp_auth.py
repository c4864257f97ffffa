"""An SMTP server that requires a login (AUTH PLAIN/LOGIN without TLS, for
tests only): user "kiosk", password given on the command line.
Usage: /usr/bin/python3 smtp_auth.py PORT PASSWORD"""
import asyncio
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def authenticator(password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"kiosk" and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)
    return check


port, password = int(sys.argv[1]), sys.argv[2]
controller = Controller(Sink(), hostname="127.0.0.1", port=port, auth_required=True,
                        auth_require_tls=False, authenticator=authenticator(password))
controller.start()
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
