"""The words of the practice (issue 13): the five kinds of service, the 五助一扶 categories,
the key groups visited at home, the five 心, the public-service posts. Keys are stable
(stored in documents); the names are msgids, translated where they are shown.

Social organisations serving villages come in through two matched lists: the **resource
list** (服务资源清单: what each organisation can offer, for whom, where, how often, for how
many) and the **needs list** (服务需求清单: what the village party organisation found on its
home visits). Matched, they become **service projects** (服务项目清单); an organisation is
paired with a village (结对共建) and serves on a schedule; every service is logged, and the
villagers rate it on the five 心.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from village_app.i18n import N_


class ServiceDoc(StrEnum):
    """The document types of the service lists (beside :class:`~village_app.domain.DocType`;
    :mod:`village_app.domain.write_rules` says who writes each)."""

    #: The county's: kept in the county's own services database only (never in a village's).
    ORGANISATION = "service_org"
    #: The county's: an entry of the resource list. The master sits in the county's services
    #: database; a copy goes into the database of every village its area covers (that copy
    #: carries the organisation's name, so the village needs no organisation documents).
    RESOURCE = "service_resource"
    #: The county's, in the village's database: needs matched to a resource.
    PROJECT = "service_project"
    #: The county's, in the village's database: an organisation paired with the village.
    PAIRING = "service_pairing"
    #: The village's: a need found on a home visit (the person's part sealed, see repo.sealing).
    NEED = "service_need"
    #: The village's, evidence: one service delivered.
    SERVICE_LOG = "service_log"
    #: The village's: a public-service post the village added (the six named ones need no
    #: document until they are edited).
    POST = "service_post"
    #: The village's: someone holds a post (认领岗位).
    CLAIM = "post_claim"
    #: The village's, evidence: a post holder's duty.
    DUTY_LOG = "duty_log"
    #: Evidence: one villager's rating of a service project (collected on paper or in a
    #: meeting and typed by the secretary; or, later, given at the kiosk).
    RATING = "service_rating"


#: 五类服务: key -> name.
SERVICE_KINDS: Final[dict[str, str]] = {
    "values": N_("价值认同"),
    "life_skills": N_("生活技能"),
    "charity": N_("公益慈善"),
    "culture_sports": N_("文体活动"),
    "mediation": N_("专业调处"),
}
#: What each kind covers (shown beside the choice).
SERVICE_KIND_HINTS: Final[dict[str, str]] = {
    "values": N_("政策宣讲、价值引领"),
    "life_skills": N_("助餐日托、残疾人服务、儿童照护、维修"),
    "charity": N_("扶贫济困、助学捐赠、义诊、支教"),
    "culture_sports": N_("文艺演出、展览、体育活动"),
    "mediation": N_("法律援助、矛盾调解、征拆纠纷"),
}

#: 五助一扶: key -> name.
HELP_CATEGORIES: Final[dict[str, str]] = {
    "education": N_("助学"),
    "disability": N_("助残"),
    "elderly": N_("助老"),
    "medical": N_("助医"),
    "orphans": N_("助孤"),
    "poverty": N_("扶贫"),
}

#: The key groups the village visits at home (and "everyone else").
KEY_GROUPS: Final[dict[str, str]] = {
    "elderly_alone": N_("空巢老人"),
    "left_behind_children": N_("留守儿童"),
    "hardship": N_("特困户"),
    "disabled": N_("残疾人"),
    "migrant_workers": N_("外来务工人员"),
    "residents": N_("其他群众"),
}

#: 五心服务: key -> name.
HEARTS: Final[dict[str, str]] = {
    "filial": N_("孝心"),
    "love": N_("爱心"),
    "warm": N_("暖心"),
    "ease": N_("安心"),
    "close": N_("贴心"),
}
#: Each 心 as the question a villager answers (1 to 5).
HEART_QUESTIONS: Final[dict[str, str]] = {
    "filial": N_("孝心：对独居老人的关爱服务满意吗？"),
    "love": N_("爱心：对留守儿童的关爱服务满意吗？"),
    "warm": N_("暖心：对困难家庭的帮扶服务满意吗？"),
    "ease": N_("安心：对外来务工人员的服务满意吗？"),
    "close": N_("贴心：对全体村民的日常服务满意吗？"),
}
#: Whom each 心 serves, as the group a need is recorded under.
HEART_OF_GROUP: Final[dict[str, str]] = {
    "elderly_alone": "filial",
    "left_behind_children": "love",
    "hardship": "warm",
    "disabled": "warm",
    "migrant_workers": "ease",
    "residents": "close",
}
#: A score's words, 1 to 5.
SCORE_NAMES: Final[dict[int, str]] = {
    1: N_("很不满意"),
    2: N_("不满意"),
    3: N_("一般"),
    4: N_("满意"),
    5: N_("很满意"),
}

#: Kinds of social organisation.
ORG_KINDS: Final[dict[str, str]] = {
    "law_firm": N_("律师事务所"),
    "hospital": N_("民营医院"),
    "school": N_("学校"),
    "volunteers": N_("志愿服务队"),
    "association": N_("行业协会"),
    "other": N_("其他社会组织"),
}

#: The six named public-service posts (公益岗位); a village adds others of its own.
BUILTIN_POSTS: Final[dict[str, str]] = {
    "policy_law": N_("政策法律宣传员"),
    "civilisation": N_("文明创建示范员"),
    "environment": N_("环境保护督导员"),
    "mediation": N_("矛盾纠纷调解员"),
    "patrol": N_("治安义务巡防员"),
    "culture_sports": N_("文体活动组织员"),
}
BUILTIN_POST_DUTIES: Final[dict[str, str]] = {
    "policy_law": N_("入户宣讲政策法规，解答群众疑问"),
    "civilisation": N_("带头移风易俗，参与文明家庭、美丽庭院创建"),
    "environment": N_("巡查村内环境卫生，督促垃圾分类和河塘保洁"),
    "mediation": N_("排查邻里矛盾纠纷，及时劝解并上报"),
    "patrol": N_("夜间和节假日义务巡逻，留意安全隐患"),
    "culture_sports": N_("组织广场舞、篮球赛等文体活动"),
}
#: Who holds a post.
HOLDER_KINDS: Final[dict[str, str]] = {"party_member": N_("党员"), "volunteer": N_("志愿者")}

#: Where a rating came from.
RATING_SOURCES: Final[dict[str, str]] = {
    "paper": N_("纸质评议表"),
    "meeting": N_("群众评议会"),
    "kiosk": N_("村查询机"),
}
#: The sources the secretary types in (the kiosk writes its own).
TYPED_SOURCES: Final = ("paper", "meeting")

PROJECT_STATUSES: Final[dict[str, str]] = {"active": N_("进行中"), "ended": N_("已结束")}
