"""Reads a Maildir written by aiosmtpd and prints one line per message:
recipient, decoded subject, Message-ID, and whether the body mentions the
forbidden words given on the command line.
Usage: /usr/bin/python3 check_maildir.py MAILDIR [FORBIDDEN…]"""
import email
import email.header
import email.policy
import mailbox
import sys

box = mailbox.Maildir(sys.argv[1], create=False)
forbidden = sys.argv[2:]
for key in sorted(box.keys()):
    msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    body = msg.get_body(("plain",)).get_content()
    leaks = [w for w in forbidden if w in body or w in str(msg["Subject"])]
    print("\t".join([str(msg["To"]), str(msg["Subject"]), str(msg["Message-ID"]),
                     "LEAK:" + ",".join(leaks) if leaks else "clean",
                     "read-hint" if "Accedi al Cassetto previdenziale o al chiosco per leggere" in body else "no-hint"]))
