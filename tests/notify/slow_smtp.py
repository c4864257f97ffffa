"""A slow SMTP server: answers each message's DATA after SECONDS, then writes
it to a Maildir, as a slow PEC provider would. Tests count the Message-IDs.
Usage: /usr/bin/python3 slow_smtp.py PORT MAILDIR SECONDS"""
import asyncio
import mailbox
import sys

from aiosmtpd.controller import Controller


class Slow:
    def __init__(self, maildir, seconds):
        self.box = mailbox.Maildir(maildir, create=True)
        self.seconds = seconds

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.seconds)
        self.box.add(envelope.original_content)
        return "250 OK"


port, maildir, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
controller = Controller(Slow(maildir, seconds), hostname="127.0.0.1", port=port)
controller.start()
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
