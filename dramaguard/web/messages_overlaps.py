"""UI strings of reference overlaps (issue 23), merged into ``i18n.MESSAGES``."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "overlaps": "Footage shared with other episodes",
        "overlaps_help": "Found at registration (credits, recaps, reused shots). A copy of shared "
                         "footage alone never makes a claim; it goes to the episode whose own footage surrounds it.",
        "shared_with": "shared with",
        "other_holder": "another rights holder's episode (to review)",
    },
    "zh": {
        "overlaps": "与其他剧集共用的片段",
        "overlaps_help": "登记时发现（片头片尾、前情回顾、复用镜头）。仅含共用片段的拷贝不会单独认定侵权；"
                         "它归属于其前后独有画面所在的那一集。",
        "shared_with": "共用于",
        "other_holder": "其他权利人的剧集（待审核）",
    },
}
