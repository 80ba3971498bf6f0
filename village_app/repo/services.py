"""The service lists in a village's database (issue 13): what the county sent (the resource
list covering the village, the service projects matched from its needs, its pairings) and
what the village keeps (needs from home visits, services delivered, public-service posts,
who holds them and their duty log, ratings collected on paper).

A need's person is sealed with the laptop's key (:attr:`seal_key`, from the data folder)
before it is written and opened when it is read; a store without the key (county mode, a
mirror) reads every need with ``person=None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from village_app.domain import DomainError, NotFound, Problems, ValidationError
from village_app.domain.corrections import check_correction
from village_app.domain.services import (
    Claim,
    DutyLog,
    Need,
    Pairing,
    Post,
    Project,
    Rating,
    Resource,
    ServiceDoc,
    ServiceLog,
    YearReview,
    posts_of,
    served_after_end,
    validate_claim,
    validate_duty_log,
    validate_need,
    validate_post,
    validate_rating,
    validate_service_log,
    yearly_review,
)
from village_app.domain.services.vocab import TYPED_SOURCES
from village_app.i18n import N_
from village_app.repo._base import Doc, StoreBase
from village_app.repo.docs import services as sdocs
from village_app.repo.sealing import SealKey

T = TypeVar("T")


class SealKeyMissing(DomainError):
    """A need's person cannot be written: this laptop has no key to seal it with (a data
    folder that cannot be written)."""

    code = "seal_key_missing"
    status = 503


def _not_after_end(ends_on: date | None, day: date) -> None:
    """A project or pairing that has ended is served no more: a service after its end is
    refused (one before it, logged late, is not)."""
    if served_after_end(ends_on, day):
        raise ValidationError(
            N_("已于 %(date)s 结束，之后的服务不能再记入"),
            {"date": ends_on.isoformat() if ends_on else ""},
            field="served_on",
        )


class ServiceRecords(StoreBase):
    seal_key: SealKey | None

    # -- reading ---------------------------------------------------------------------------
    async def _all(self, doc_type: str, parse: Callable[[Doc], T], **where: Any) -> list[T]:
        return self._read(await self._find_all({"type": doc_type, **where}), parse)

    async def _one(self, docid: str, doc_type: str, parse: Callable[[Doc], T], missing: str) -> T:
        if not docid.startswith(f"{doc_type}:{self.village}:"):
            raise NotFound(missing, ids=[docid])
        return self._read_one(await self._get_doc(docid, missing=missing), parse)

    async def _write_new(self, doc: Doc, parse: Callable[[Doc], T]) -> T:
        """Write a new document (or find what the first submission of its form wrote), read
        back with its revision."""
        first = await self._put_once(doc, parse)
        if first is not None:
            return first
        return self._read_one(await self._get_doc(str(doc["_id"]), missing=N_("记录不存在")), parse)

    def _need_parser(self) -> Callable[[Doc], Need]:
        key = self.seal_key
        return lambda doc: sdocs.need_from_doc(doc, key)

    async def list_resources(self, *, active_only: bool = False) -> list[Resource]:
        """The resource list the county sent (entries covering this village), by kind and title."""
        found = await self._all(ServiceDoc.RESOURCE, sdocs.resource_from_doc)
        if active_only:
            found = [r for r in found if r.active]
        return sorted(found, key=lambda r: (r.kind, r.organisation.name, r.title, r.id))

    async def get_resource(self, resource_id: str) -> Resource:
        return await self._one(
            resource_id, ServiceDoc.RESOURCE, sdocs.resource_from_doc, N_("服务资源不存在")
        )

    async def list_projects(self) -> list[Project]:
        """Service projects, the newest start first."""
        found = await self._all(ServiceDoc.PROJECT, sdocs.project_from_doc)
        return sorted(found, key=lambda p: (p.starts_on, p.id), reverse=True)

    async def get_project(self, project_id: str) -> Project:
        return await self._one(
            project_id, ServiceDoc.PROJECT, sdocs.project_from_doc, N_("服务项目不存在")
        )

    async def list_pairings(self) -> list[Pairing]:
        found = await self._all(ServiceDoc.PAIRING, sdocs.pairing_from_doc)
        return sorted(found, key=lambda p: (p.ended_on is not None, p.since, p.id))

    async def list_needs(self) -> list[Need]:
        """Needs, the newest visit first (persons opened where the key is)."""
        found = await self._all(ServiceDoc.NEED, self._need_parser())
        return sorted(found, key=lambda n: (n.visited_on, n.id), reverse=True)

    async def get_need(self, need_id: str) -> Need:
        return await self._one(need_id, ServiceDoc.NEED, self._need_parser(), N_("需求记录不存在"))

    async def list_service_logs(
        self, *, project_id: str | None = None, pairing_id: str | None = None
    ) -> list[ServiceLog]:
        """Services delivered (corrected entries included: see ``effective``), oldest first."""
        where: dict[str, Any] = {}
        if project_id is not None:
            where["project_id"] = project_id
        if pairing_id is not None:
            where["pairing_id"] = pairing_id
        found = await self._all(ServiceDoc.SERVICE_LOG, sdocs.service_log_from_doc, **where)
        return sorted(found, key=lambda log: (log.served_on, log.created_at, log.id))

    async def get_service_log(self, log_id: str) -> ServiceLog:
        return await self._one(
            log_id, ServiceDoc.SERVICE_LOG, sdocs.service_log_from_doc, N_("服务记录不存在")
        )

    async def get_duty_log(self, duty_id: str) -> DutyLog:
        return await self._one(
            duty_id, ServiceDoc.DUTY_LOG, sdocs.duty_log_from_doc, N_("履职记录不存在")
        )

    async def list_posts(self) -> list[Post]:
        """The six named posts and the village's own (not retired)."""
        return posts_of(self.village, await self._all(ServiceDoc.POST, sdocs.post_from_doc))

    async def list_claims(self) -> list[Claim]:
        found = await self._all(ServiceDoc.CLAIM, sdocs.claim_from_doc)
        return sorted(found, key=lambda c: (c.since, c.id))

    async def list_duty_logs(self, *, post_id: str | None = None) -> list[DutyLog]:
        where = {"post_id": post_id} if post_id is not None else {}
        found = await self._all(ServiceDoc.DUTY_LOG, sdocs.duty_log_from_doc, **where)
        return sorted(found, key=lambda d: (d.done_on, d.created_at, d.id))

    async def list_ratings(self, *, project_id: str | None = None) -> list[Rating]:
        where = {"project_id": project_id} if project_id is not None else {}
        found = await self._all(ServiceDoc.RATING, sdocs.rating_from_doc, **where)
        return sorted(found, key=lambda r: (r.collected_on, r.created_at, r.id))

    async def year_review(self, year: int) -> YearReview:
        return yearly_review(
            year,
            projects=await self.list_projects(),
            logs=await self.list_service_logs(),
            ratings=await self.list_ratings(),
            posts=await self.list_posts(),
            claims=await self.list_claims(),
            duties=await self.list_duty_logs(),
        )

    # -- needs -----------------------------------------------------------------------------
    async def add_need(
        self, need: Need, *, key: str | None = None, problems: Problems | None = None
    ) -> Need:
        """Record a need from a home visit; its person is sealed before it is written."""
        docid = self._keyed_id(ServiceDoc.NEED, key)
        first = await self._first_result(docid, self._need_parser())
        if first is not None:
            return first
        problems = problems if problems is not None else Problems()
        with problems.check():
            self._window().check(need.visited_on, field="visited_on")
        checked = validate_need(need, problems)
        if checked.person is not None and self.seal_key is None:
            raise SealKeyMissing(
                N_("本机无法保存加密密钥，需求记录暂时不能保存；请检查数据文件夹能否写入")
            )
        doc = sdocs.need_to_doc(self.village, checked, self.actor, self.seal_key, docid=docid)
        return await self._write_new(doc, self._need_parser())

    async def _edit_need(self, need: Need) -> Need:
        """Write ``need``'s fields but the person (the stored sealed part is kept)."""
        doc = sdocs.need_to_doc(self.village, replace(need, person=None), self.actor, None)
        await self._put_editable(doc)
        return await self.get_need(need.id)

    async def propose_resource(self, need_id: str, resource_id: str | None, rev: str) -> Need:
        """The village proposes a resource for a need (``None``: withdraws the proposal)."""
        need = await self.get_need(need_id)
        if resource_id:
            resource = await self.get_resource(resource_id)
            if not resource.active:
                raise ValidationError(N_("这项服务资源已停止提供"), field="resource_id")
        return await self._edit_need(replace(need, proposed_resource=resource_id or None, rev=rev))

    async def close_need(self, need_id: str, reason: str, rev: str) -> Need:
        """No longer needed (moved away, solved another way): out of the unmatched list."""
        need = await self.get_need(need_id)
        if not reason.strip():
            raise ValidationError(N_("请写明关闭原因"), field="closed_reason")
        closed = replace(need, closed=True, closed_reason=reason.strip(), rev=rev, person=None)
        return await self._edit_need(validate_need(closed))

    # -- services delivered ----------------------------------------------------------------
    async def add_service_log(
        self, log: ServiceLog, *, key: str | None = None, problems: Problems | None = None
    ) -> ServiceLog:
        docid = self._keyed_id(ServiceDoc.SERVICE_LOG, key)
        first = await self._first_result(docid, sdocs.service_log_from_doc)
        if first is not None:
            return first
        problems = problems if problems is not None else Problems()
        with problems.check():
            self._window().check(log.served_on, field="served_on")
        if log.corrects:
            with problems.check():
                target = check_correction(
                    await self.list_service_logs(), log.corrects, log.reason, problems
                )
                # A correction restates an entry of the same project (or pairing).
                log = replace(log, project_id=target.project_id, pairing_id=target.pairing_id)
        with problems.check():
            if log.project_id:
                project = await self.get_project(log.project_id)
                _not_after_end(project.ends_on, log.served_on)
            elif log.pairing_id:
                pairing = await self._one(
                    log.pairing_id, ServiceDoc.PAIRING, sdocs.pairing_from_doc, N_("结对记录不存在")
                )
                _not_after_end(pairing.ended_on, log.served_on)
        checked = validate_service_log(log, problems)
        doc = sdocs.service_log_to_doc(self.village, checked, self.actor, docid=docid)
        return await self._write_new(doc, sdocs.service_log_from_doc)

    # -- posts, claims, duties -------------------------------------------------------------
    async def _post(self, post_id: str) -> Post:
        for post in await self.list_posts():
            if post.id == post_id:
                return post
        raise NotFound(N_("岗位不存在"), ids=[post_id])

    async def add_post(self, post: Post, *, key: str | None = None) -> Post:
        """A post the village adds to the six named ones."""
        docid = self._keyed_id(ServiceDoc.POST, key)
        first = await self._first_result(docid, sdocs.post_from_doc)
        if first is not None:
            return first
        checked = validate_post(replace(post, key=""), await self.list_posts())
        doc = sdocs.post_to_doc(self.village, checked, self.actor, docid=docid)
        return await self._write_new(doc, sdocs.post_from_doc)

    async def claim_post(
        self, claim: Claim, *, key: str | None = None, problems: Problems | None = None
    ) -> Claim:
        docid = self._keyed_id(ServiceDoc.CLAIM, key)
        first = await self._first_result(docid, sdocs.claim_from_doc)
        if first is not None:
            return first
        problems = problems if problems is not None else Problems()
        with problems.check():
            await self._post(claim.post_id)
        with problems.check():
            self._window().check(claim.since, field="since")
        with problems.check():
            claim = validate_claim(claim, await self.list_claims())
        problems.raise_any()
        doc = sdocs.claim_to_doc(self.village, claim, self.actor, docid=docid)
        return await self._write_new(doc, sdocs.claim_from_doc)

    async def end_claim(self, claim_id: str, ended_on: date, rev: str) -> Claim:
        claim = await self._one(
            claim_id, ServiceDoc.CLAIM, sdocs.claim_from_doc, N_("认领记录不存在")
        )
        self._window().check(ended_on, field="ended_on")
        ended = validate_claim(replace(claim, ended_on=ended_on, rev=rev))
        await self._put_editable(sdocs.claim_to_doc(self.village, ended, self.actor))
        return await self._one(
            claim_id, ServiceDoc.CLAIM, sdocs.claim_from_doc, N_("认领记录不存在")
        )

    async def add_duty_log(
        self, log: DutyLog, *, key: str | None = None, problems: Problems | None = None
    ) -> DutyLog:
        docid = self._keyed_id(ServiceDoc.DUTY_LOG, key)
        first = await self._first_result(docid, sdocs.duty_log_from_doc)
        if first is not None:
            return first
        problems = problems if problems is not None else Problems()
        if log.corrects:
            with problems.check():
                target = check_correction(
                    await self.list_duty_logs(), log.corrects, log.reason, problems
                )
                log = replace(log, post_id=target.post_id)  # the same post's duty, restated
        with problems.check():
            await self._post(log.post_id)
        with problems.check():
            self._window().check(log.done_on, field="done_on")
        checked = validate_duty_log(log, await self.list_claims(), problems)
        doc = sdocs.duty_log_to_doc(self.village, checked, self.actor, docid=docid)
        return await self._write_new(doc, sdocs.duty_log_from_doc)

    # -- ratings ---------------------------------------------------------------------------
    async def add_rating(
        self, rating: Rating, *, key: str | None = None, problems: Problems | None = None
    ) -> Rating:
        """One villager's rating as collected on paper or in a meeting (anonymous)."""
        docid = self._keyed_id(ServiceDoc.RATING, key)
        first = await self._first_result(docid, sdocs.rating_from_doc)
        if first is not None:
            return first
        problems = problems if problems is not None else Problems()
        if rating.source not in TYPED_SOURCES:
            problems.add(ValidationError(N_("选项不正确，请重新选择"), field="source"))
        with problems.check():
            await self.get_project(rating.project_id)
        with problems.check():
            self._window().check(rating.collected_on, field="collected_on")
        checked = validate_rating(replace(rating, device=""), problems)
        doc = sdocs.rating_to_doc(self.village, checked, self.actor, docid=docid)
        return await self._write_new(doc, sdocs.rating_from_doc)
