"""UI strings of issue 25 (delivery at the physical limit), merged into ``i18n.MESSAGES``."""

MESSAGES = {
    "en": {
        "notice_possibly_delivered": "possibly delivered",
        "notice_possibly_delivered_hint": (
            "a sender stopped inside the mail exchange; the recipient may hold a copy. The resend "
            "carried the same Message-ID and notice number, marked RESEND."
        ),
    },
    "zh": {
        "notice_possibly_delivered": "可能已送达",
        "notice_possibly_delivered_hint": (
            "发送方在邮件交换中途中断，收件方可能已收到一份。重发使用相同的 Message-ID 和通知编号，并标注“重发”。"
        ),
    },
}
