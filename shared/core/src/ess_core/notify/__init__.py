"""Notices: e-mails to the people something waits for, sent once by the pilot that holds the recipient's
address (addresses never go on the stream).

An act writes its notice in its own transaction (`enqueue`: the notices outbox, `ess_notice`, one row per
thing to tell, keyed by what it is about); `NoticeSender` renders it from the service's French templates
(plain text and HTML, which a pilot may replace) and sends it with the pilot's SMTP settings. Its
`Message-ID` derives from the key: a crash between sending and marking sends it once more at most, and
mail clients fold the two."""
