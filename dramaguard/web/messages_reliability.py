"""UI strings of delivery at the physical limit (possibly delivered, sending a refused notice again),
merged into ``i18n.MESSAGES``."""

MESSAGES = {
    "en": {
        "notice_possibly_delivered": "possibly delivered",
        "notice_possibly_delivered_hint": (
            "a sender stopped inside the mail exchange; the recipient may hold a copy. The resend "
            "carried the same Message-ID and notice number, marked RESEND."
        ),
        "send_again": "Send again",
        "send_again_hint": "Fix the cause first (the desk's address, the claimant profile, a document): "
                           "the same notice, with its number, goes out once more.",
    },
    "zh": {
        "notice_possibly_delivered": "可能已送达",
        "notice_possibly_delivered_hint": (
            "发送方在邮件交换中途中断，收件方可能已收到一份。重发使用相同的 Message-ID 和通知编号，并标注“重发”。"
        ),
        "send_again": "重新发送",
        "send_again_hint": "请先排除原因(平台受理地址、权利人资料或证明文件):同一份通知将以原编号再发送一次。",
    },
}
