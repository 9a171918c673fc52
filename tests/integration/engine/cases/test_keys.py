"""Virtual keys: every prisma-client-py shape LiteLLM uses on LiteLLM_VerificationToken.

Covers:
  * key creation: ``upsert(create=..., update={}, include={"litellm_budget_table": True})`` with
    json.dumps'd Json columns, BigInt limits and DateTime columns (utils.py PrismaClient.insert_data
    table_name="key"), and that a second upsert leaves the row untouched;
  * key lookups (utils.py PrismaClient.get_data): ``find_unique(include=budget)``,
    ``find_many(where user_id / team_id, take, include)``, ``find_many(order={"spend": "desc"},
    where={"token": {"in": ...}})``, and the budget-reset query (OR expires None/gt, budget_reset_at
    lt, NOT budget_duration None);
  * the auth lookup ``query_first`` of the combined view SQL (get_data table_name="combined_view"),
    with its joins to team, team membership, budgets and organization and its json/array/bigint
    columns;
  * deprecated-key grace lookup ``find_first(token, revoke_at gt now)`` (utils.py
    _lookup_deprecated_key);
  * key update ``update(where, data, include={"object_permission": True})`` and update of a
    missing key returning None (utils.py PrismaClient.update_data);
  * the spend flush: ``tx(timeout=60s)`` + ``execute_raw(set_config lock_timeout)`` +
    ``batch_()`` of ``update_many(spend/total_spend increment, last_active)`` (db/
    db_spend_update_writer.py DBSpendUpdateWriter._commit_spend_updates_to_db, key branch);
  * the key list (management_endpoints/key_management_endpoints.py list_key_helper /
    _build_key_filter_conditions): AND/OR trees, ``contains`` + ``mode: insensitive``,
    ``hasSome``, expires/status filters, ``skip/take``, list ``order``, ``include`` of
    object_permission and budget, and ``count(where)`` with the same filter;
  * key deletion: ``find_many(token in)`` + ``create_many`` into LiteLLM_DeletedVerificationToken
    (persist_deleted_verification_tokens) + ``delete_many(token in)``
    (delete_verification_tokens), and ``find_first(order={"deleted_at": "desc"})`` of the archive
    (_find_deleted_key_info).
"""

from __future__ import annotations

import json
import os
import sys
import unittest
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, as_utc, close_shared_client, hash_token, jsonify_object, uid, utc

tearDownModule = close_shared_client  # disconnect the module's shared client

# utils.py PrismaClient.get_data(table_name="combined_view"), verbatim
COMBINED_VIEW_SQL = """
                        SELECT
                            v.*,
                            t.spend AS team_spend,
                            t.max_budget AS team_max_budget,
                            t.soft_budget AS team_soft_budget,
                            t.model_max_budget AS team_model_max_budget,
                            t.tpm_limit AS team_tpm_limit,
                            t.rpm_limit AS team_rpm_limit,
                            t.tpd_limit AS team_tpd_limit,
                            t.models AS team_models,
                            t.metadata AS team_metadata,
                            t.blocked AS team_blocked,
                            t.team_alias AS team_alias,
                            t.metadata AS team_metadata,
                            t.members_with_roles AS team_members_with_roles,
                            t.object_permission_id AS team_object_permission_id,
                            t.organization_id as org_id,
                            p.project_alias AS project_alias,
                            tm.spend AS team_member_spend,
                            b_tm.tpm_limit AS team_member_tpm_limit,
                            b_tm.rpm_limit AS team_member_rpm_limit,
                            m.aliases AS team_model_aliases,
                            -- Added comma to separate b.* columns
                            b.max_budget AS litellm_budget_table_max_budget,
                            b.tpm_limit AS litellm_budget_table_tpm_limit,
                            b.rpm_limit AS litellm_budget_table_rpm_limit,
                            b.tpd_limit AS litellm_budget_table_tpd_limit,
                            b.model_max_budget as litellm_budget_table_model_max_budget,
                            b.soft_budget as litellm_budget_table_soft_budget,
                            o.metadata as organization_metadata,
                            o.organization_alias as organization_alias,
                            b2.max_budget as organization_max_budget,
                            b2.tpm_limit as organization_tpm_limit,
                            b2.rpm_limit as organization_rpm_limit
                        FROM "LiteLLM_VerificationToken" AS v
                        LEFT JOIN "LiteLLM_TeamTable" AS t ON v.team_id = t.team_id
                        LEFT JOIN "LiteLLM_TeamMembership" AS tm ON v.team_id = tm.team_id AND tm.user_id = v.user_id
                        LEFT JOIN "LiteLLM_BudgetTable" AS b_tm ON tm.budget_id = b_tm.budget_id
                        LEFT JOIN "LiteLLM_ModelTable" m ON t.model_id = m.id
                        LEFT JOIN "LiteLLM_BudgetTable" AS b ON v.budget_id = b.budget_id
                        LEFT JOIN "LiteLLM_ProjectTable" AS p ON v.project_id = p.project_id
                        LEFT JOIN "LiteLLM_OrganizationTable" AS o ON v.organization_id = o.organization_id
                        LEFT JOIN "LiteLLM_BudgetTable" AS b2 ON o.budget_id = b2.budget_id
                        WHERE v.token = $1
                    """

ROLLUP_LOCK_TIMEOUT_SQL = "SELECT set_config('lock_timeout', $1::text, true)"  # db/rollup_lock_timeout.py


def _raw_instant(value: object) -> datetime:
    """A raw-query timestamp: the engine hands back ISO-8601 text (naive = UTC)."""
    if isinstance(value, datetime):
        return as_utc(value)
    assert isinstance(value, str), repr(value)
    return as_utc(datetime.fromisoformat(value))


class VirtualKeys(EngineTestCase):
    async def _insert_key(self, **overrides):
        """utils.py PrismaClient.insert_data(table_name="key") with a generate_key_helper_fn payload."""
        plaintext = "sk-" + uuid.uuid4().hex
        token = hash_token(plaintext)
        data = {
            "token": plaintext,
            "key_name": f"sk-...{plaintext[-4:]}",
            "key_alias": uid("alias"),
            "expires": None,
            "models": ["gpt-4o", "claude-3"],
            "aliases": {},
            "config": {},
            "spend": 0.0,
            "max_budget": 25.5,
            "user_id": None,
            "team_id": None,
            "max_parallel_requests": 4,
            "metadata": {"tags": ["a", "b"], "nested": {"k": "v"}, "ünï": "ç"},
            "tpm_limit": 9007199254740993,
            "rpm_limit": 120,
            "budget_duration": "30d",
            "budget_reset_at": utc(2031, 1, 2, 3, 4, 5),
            "allowed_cache_controls": [],
            "permissions": {"get_spend_routes": False},
            "model_spend": {},
            "model_max_budget": {"gpt-4o": {"budget_limit": "1.0", "time_period": "1d"}},
            "budget_id": None,
            "created_by": "qe-admin",
            "updated_by": "qe-admin",
            "budget_limits": None,
            **overrides,
        }
        db_data = jsonify_object(data)
        db_data["token"] = token
        if db_data.get("budget_limits") is None:
            db_data.pop("budget_limits", None)
        self.cleanup_where("litellm_verificationtoken", {"token": token})
        row = await self.db.litellm_verificationtoken.upsert(
            where={"token": token},
            data={"create": {**db_data}, "update": {}},
            include={"litellm_budget_table": True},
        )
        return row, plaintext, data

    async def test_insert_key_upsert_with_budget_include(self):
        # utils.py PrismaClient.insert_data(table_name="key")
        budget = await self.make_budget(max_budget=10.0, tpm_limit=1000, rpm_limit=10, budget_duration="1d")
        row, plaintext, data = await self._insert_key(budget_id=budget.budget_id)
        self.assertEqual(row.token, hash_token(plaintext))
        self.assertEqual(row.key_alias, data["key_alias"])
        self.assertEqual(row.models, ["gpt-4o", "claude-3"])
        self.assertEqual(row.metadata, data["metadata"])
        self.assertEqual(row.aliases, {})
        self.assertEqual(row.permissions, {"get_spend_routes": False})
        self.assertEqual(row.model_max_budget, data["model_max_budget"])
        self.assertEqual(row.tpm_limit, 9007199254740993)
        self.assertEqual(row.rpm_limit, 120)
        self.assertEqual(row.max_budget, 25.5)
        self.assertEqual(row.spend, 0.0)
        self.assertEqual(row.budget_reset_at, utc(2031, 1, 2, 3, 4, 5))
        self.assertIsNone(row.expires)
        self.assertIsNone(row.budget_limits)
        self.assertEqual(row.router_settings, {})  # column default
        self.assertIsNotNone(row.created_at)
        self.assertIsNotNone(row.litellm_budget_table)
        self.assertEqual(row.litellm_budget_table.budget_id, budget.budget_id)
        self.assertEqual(row.litellm_budget_table.tpm_limit, 1000)
        # the same upsert again is a no-op ("update": {})
        again = await self.db.litellm_verificationtoken.upsert(
            where={"token": row.token},
            data={"create": {"token": row.token, "key_alias": "other"}, "update": {}},
            include={"litellm_budget_table": True},
        )
        self.assertEqual(again.key_alias, data["key_alias"])
        self.assertEqual(again.metadata, data["metadata"])
        self.assertEqual(again.litellm_budget_table.budget_id, budget.budget_id)

    async def test_get_data_key_lookups(self):
        # utils.py PrismaClient.get_data(token=... / user_id / team_id / token list)
        budget = await self.make_budget(max_budget=3.0)
        user = await self.make_user()
        team = await self.make_team()
        k1, _unused = await self.make_key(
            user_id=user.user_id, team_id=team.team_id, budget_id=budget.budget_id, spend=3.0
        )
        k2, _unused = await self.make_key(user_id=user.user_id, spend=7.5)
        k3, _unused = await self.make_key(team_id=team.team_id, spend=1.25)

        # find_unique + include
        got = await self.db.litellm_verificationtoken.find_unique(
            where={"token": k1.token}, include={"litellm_budget_table": True}
        )
        self.assertEqual(got.token, k1.token)
        self.assertEqual(got.litellm_budget_table.max_budget, 3.0)
        missing = await self.db.litellm_verificationtoken.find_unique(
            where={"token": hash_token("sk-missing-" + uid())}, include={"litellm_budget_table": True}
        )
        self.assertIsNone(missing)

        # find_all by user_id
        by_user = await self.db.litellm_verificationtoken.find_many(
            where={"user_id": user.user_id}, include={"litellm_budget_table": True}
        )
        self.assertEqual({k.token for k in by_user}, {k1.token, k2.token})
        self.assertEqual({k.token: k.litellm_budget_table is None for k in by_user}, {k1.token: False, k2.token: True})

        # find_all by team_id with take
        by_team = await self.db.litellm_verificationtoken.find_many(
            take=10, where={"team_id": team.team_id}, include={"litellm_budget_table": True}
        )
        self.assertEqual({k.token for k in by_team}, {k1.token, k3.token})
        self.assertEqual(
            len(await self.db.litellm_verificationtoken.find_many(take=1, where={"team_id": team.team_id})), 1
        )

        # find_all token in [...] ordered by spend desc
        ordered = await self.db.litellm_verificationtoken.find_many(
            order={"spend": "desc"},
            where={"token": {"in": [k1.token, k2.token, k3.token]}},
            include={"litellm_budget_table": True},
        )
        self.assertEqual([k.token for k in ordered], [k2.token, k1.token, k3.token])

    async def test_budget_reset_query(self):
        # get_data(table_name="key", query_type="find_all", expires=now, reset_at=now)
        now = datetime.now(timezone.utc)
        past = now - timedelta(days=1)
        future = now + timedelta(days=1)
        due, _unused = await self.make_key(budget_duration="1d", budget_reset_at=past)
        due_unexpired, _unused = await self.make_key(budget_duration="1d", budget_reset_at=past, expires=future)
        expired, _unused = await self.make_key(budget_duration="1d", budget_reset_at=past, expires=past)
        no_duration, _unused = await self.make_key(budget_reset_at=past)
        not_due, _unused = await self.make_key(budget_duration="1d", budget_reset_at=future)
        ours = [due.token, due_unexpired.token, expired.token, no_duration.token, not_due.token]
        rows = await self.db.litellm_verificationtoken.find_many(
            take=1000,
            where={
                "OR": [
                    {"expires": None},
                    {"expires": {"gt": now}},
                ],
                "budget_reset_at": {"lt": now},
                "NOT": {"budget_duration": None},
                "token": {"in": ours},
            },
        )
        self.assertEqual({r.token for r in rows}, {due.token, due_unexpired.token})

    async def test_combined_view_auth_lookup(self):
        # utils.py PrismaClient.get_data(table_name="combined_view") via _query_first_with_cached_plan_fallback
        team_budget = await self.make_budget(tpm_limit=77, rpm_limit=7)
        key_budget = await self.make_budget(
            max_budget=50.0, tpm_limit=2**53 + 5, rpm_limit=60, model_max_budget=json.dumps({"m": 1}), soft_budget=40.0
        )
        org_budget = await self.make_budget(max_budget=1000.0, tpm_limit=5000, rpm_limit=500)
        org = await self.make_org(org_budget.budget_id, metadata=json.dumps({"org": "ünicode ✓"}))
        user = await self.make_user(user_email="qe@example.com")
        members = [
            {"role": "admin", "user_id": user.user_id, "user_email": None},
            {"role": "user", "user_id": None, "user_email": "test@email.com"},
        ]
        team = await self.make_team(
            team_alias=uid("team-alias"),
            organization_id=org.organization_id,
            members_with_roles=json.dumps(members),
            metadata={"team_meta": [1, 2, {"x": None}]},
            models=["gpt-4o"],
            tpm_limit=123456789012,
            max_budget=99.5,
            spend=1.5,
        )
        await self.db.litellm_teammembership.create(
            data={"user_id": user.user_id, "team_id": team.team_id, "spend": 0.25, "budget_id": team_budget.budget_id}
        )
        self.cleanup_where("litellm_teammembership", {"user_id": user.user_id, "team_id": team.team_id})
        expires = utc(2030, 5, 6, 7, 8, 9, 123000)
        key, plaintext = await self.make_key(
            user_id=user.user_id,
            team_id=team.team_id,
            budget_id=key_budget.budget_id,
            organization_id=org.organization_id,
            expires=expires,
            metadata={"k": "v"},
            models=["a", "b"],
            tpm_limit=42,
            spend=0.5,
        )

        row = await self.db.query_first(COMBINED_VIEW_SQL, hash_token(plaintext))
        self.assertIsInstance(row, dict)
        self.assertEqual(row["token"], key.token)
        self.assertEqual(row["user_id"], user.user_id)
        self.assertEqual(row["models"], ["a", "b"])
        self.assertEqual(row["metadata"], {"k": "v"})
        self.assertEqual(row["tpm_limit"], 42)
        self.assertEqual(row["spend"], 0.5)
        self.assertEqual(_raw_instant(row["expires"]), expires)
        self.assertEqual(row["team_spend"], 1.5)
        self.assertEqual(row["team_max_budget"], 99.5)
        self.assertIsNone(row["team_soft_budget"])
        self.assertEqual(row["team_tpm_limit"], 123456789012)
        self.assertIsNone(row["team_rpm_limit"])
        self.assertEqual(row["team_models"], ["gpt-4o"])
        self.assertEqual(row["team_metadata"], {"team_meta": [1, 2, {"x": None}]})
        self.assertIs(row["team_blocked"], False)
        self.assertEqual(row["team_alias"], team.team_alias)
        # LiteLLM iterates this list and calls .get on each member
        self.assertEqual(row["team_members_with_roles"], members)
        self.assertEqual(row["org_id"], org.organization_id)
        self.assertIsNone(row["project_alias"])
        self.assertEqual(row["team_member_spend"], 0.25)
        self.assertEqual(row["team_member_tpm_limit"], 77)
        self.assertEqual(row["team_member_rpm_limit"], 7)
        self.assertIsNone(row["team_model_aliases"])
        self.assertEqual(row["litellm_budget_table_max_budget"], 50.0)
        self.assertEqual(row["litellm_budget_table_tpm_limit"], 2**53 + 5)
        self.assertEqual(row["litellm_budget_table_rpm_limit"], 60)
        self.assertIsNone(row["litellm_budget_table_tpd_limit"])
        self.assertEqual(row["litellm_budget_table_model_max_budget"], {"m": 1})
        self.assertEqual(row["litellm_budget_table_soft_budget"], 40.0)
        self.assertEqual(row["organization_metadata"], {"org": "ünicode ✓"})
        self.assertEqual(row["organization_alias"], org.organization_alias)
        self.assertEqual(row["organization_max_budget"], 1000.0)
        self.assertEqual(row["organization_tpm_limit"], 5000)
        self.assertEqual(row["organization_rpm_limit"], 500)
        # an unknown key: query_first returns None
        self.assertIsNone(await self.db.query_first(COMBINED_VIEW_SQL, hash_token("sk-" + uid())))

    async def test_deprecated_key_lookup(self):
        # utils.py _lookup_deprecated_key
        active, _unused = await self.make_key()
        old_live, old_gone = hash_token("sk-" + uid()), hash_token("sk-" + uid())
        now = datetime.now(timezone.utc)
        self.cleanup_where("litellm_deprecatedverificationtoken", {"token": {"in": [old_live, old_gone]}})
        await self.db.litellm_deprecatedverificationtoken.create(
            data={"token": old_live, "active_token_id": active.token, "revoke_at": now + timedelta(hours=1)}
        )
        await self.db.litellm_deprecatedverificationtoken.create(
            data={"token": old_gone, "active_token_id": active.token, "revoke_at": now - timedelta(hours=1)}
        )
        row = await self.db.litellm_deprecatedverificationtoken.find_first(
            where={"token": old_live, "revoke_at": {"gt": now}}
        )
        self.assertIsNotNone(row)
        self.assertEqual(row.active_token_id, active.token)
        self.assertIsInstance(row.revoke_at.timestamp(), float)
        self.assertIsNone(
            await self.db.litellm_deprecatedverificationtoken.find_first(
                where={"token": old_gone, "revoke_at": {"gt": now}}
            )
        )

    async def test_update_key(self):
        # utils.py PrismaClient.update_data(token=...) and _update_key_row_with_soft_budget
        key, _unused = await self.make_key(metadata={"old": True}, max_budget=1.0)
        now = datetime.now(timezone.utc)
        db_data = jsonify_object(
            {"metadata": {"new": [1, "two"]}, "max_budget": 2.0, "models": ["x"], "token": key.token}
        )
        db_data["settings_updated_at"] = now  # with_settings_updated_at
        updated = await self.db.litellm_verificationtoken.update(
            where={"token": key.token}, data=db_data, include={"object_permission": True}
        )
        self.assertIsNotNone(updated)
        self.assertEqual(updated.metadata, {"new": [1, "two"]})
        self.assertEqual(updated.max_budget, 2.0)
        self.assertEqual(updated.models, ["x"])
        self.assertIsNone(updated.object_permission)
        self.assertEqual(updated.settings_updated_at, now.replace(microsecond=now.microsecond // 1000 * 1000))
        self.assertIsInstance(updated.model_dump(), dict)
        # the same inside a transaction
        async with self.db.tx() as tx:
            in_tx = await tx.litellm_verificationtoken.update(
                where={"token": key.token},
                data=jsonify_object({"soft_budget_cooldown": True, "token": key.token}),
                include={"object_permission": True},
            )
        self.assertTrue(in_tx.soft_budget_cooldown)
        # a missing key: prisma-client-py returns None (the engine answers P2025)
        self.assertIsNone(
            await self.db.litellm_verificationtoken.update(
                where={"token": hash_token("sk-" + uid())},
                data={"max_budget": 1.0},
                include={"object_permission": True},
            )
        )

    async def test_spend_flush_batch_in_tx(self):
        # DBSpendUpdateWriter._commit_spend_updates_to_db, key_list_transactions branch
        k1, _unused = await self.make_key(spend=1.0, total_spend=10.0)
        k2, _unused = await self.make_key()
        missing = hash_token("sk-" + uid())
        increments = {k1.token: 0.1, k2.token: 0.2, missing: 5.0}  # update_many: a missing row is no error
        last_active = datetime.now(timezone.utc)
        for _unused in range(3):
            async with self.db.tx(timeout=timedelta(seconds=60)) as transaction:
                await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, "5000ms")
                async with transaction.batch_() as batcher:
                    for token, cost in sorted(increments.items()):
                        batcher.litellm_verificationtoken.update_many(
                            where={"token": token},
                            data={
                                "spend": {"increment": cost},
                                "total_spend": {"increment": cost},
                                "last_active": last_active,
                            },
                        )
        r1 = await self.db.litellm_verificationtoken.find_unique(where={"token": k1.token})
        r2 = await self.db.litellm_verificationtoken.find_unique(where={"token": k2.token})
        self.assertAlmostEqual(r1.spend, 1.3, places=9)
        self.assertAlmostEqual(r1.total_spend, 10.3, places=9)
        self.assertAlmostEqual(r2.spend, 0.6, places=9)
        self.assertAlmostEqual(r2.total_spend, 0.6, places=9)
        self.assertEqual(r1.last_active, last_active.replace(microsecond=last_active.microsecond // 1000 * 1000))
        self.assertIsNone(await self.db.litellm_verificationtoken.find_unique(where={"token": missing}))

    async def test_list_keys(self):
        # key_management_endpoints.list_key_helper with _build_key_filter_conditions' where
        team = await self.make_team()
        other_team = await self.make_team()
        user = await self.make_user()
        marker = "QeMiX" + uuid.uuid4().hex[:6]
        group = uid("ag")
        base = utc(2024, 3, 1, 12, 0, 0)
        now = datetime.now(timezone.utc)
        keys = []
        for i in range(5):
            key, _unused = await self.make_key(
                team_id=team.team_id,
                key_alias=f"alias-{marker.lower() if i % 2 else marker.upper()}-{i}",
                created_at=base + timedelta(minutes=i),
                created_by=user.user_id,
                access_group_ids=[group] if i in (1, 3) else [],
                blocked=True if i == 4 else (None if i == 0 else False),
                expires=now - timedelta(days=1) if i == 3 else None,
            )
            keys.append(key)
        foreign, _unused = await self.make_key(team_id=other_team.team_id, key_alias=f"alias-{marker}-foreign")

        where = {"team_id": team.team_id}
        or_conditions = [
            {"user_id": user.user_id},
            {"AND": [{"created_by": user.user_id}, {"team_id": None}]},
            {"team_id": {"in": [team.team_id]}},
            {"AND": [{"team_id": {"in": [team.team_id, other_team.team_id]}}, {"user_id": None}]},
        ]
        where = {"AND": [where, {"OR": or_conditions}]}
        global_filters = (
            {"key_alias": {"contains": marker.swapcase(), "mode": "insensitive"}},
            {"OR": ({"token": marker}, {"key_alias": {"contains": marker.lower(), "mode": "insensitive"}})},
            {"team_id": team.team_id},
        )
        combined = {"AND": [where, *global_filters]}
        order = [{"created_at": "desc"}, {"token": "desc"}]

        pages = [
            await self.db.litellm_verificationtoken.find_many(
                where=combined,
                skip=skip,
                take=2,
                order=order,
                include={"object_permission": True, "litellm_budget_table": True},
            )
            for skip in (0, 2, 4)
        ]
        listed = [k.token for page in pages for k in page]
        self.assertEqual(listed, [k.token for k in reversed(keys)])
        self.assertEqual(await self.db.litellm_verificationtoken.count(where=combined), 5)
        self.assertNotIn(foreign.token, listed)

        # access_group_ids hasSome
        with_group = {"AND": [where, {"access_group_ids": {"hasSome": [group]}}]}
        self.assertEqual(
            {k.token for k in await self.db.litellm_verificationtoken.find_many(where=with_group)},
            {keys[1].token, keys[3].token},
        )
        # status "active": not blocked (NULL or false) and not expired (NULL or >= now)
        not_blocked = {"OR": [{"blocked": None}, {"blocked": False}]}
        active = {"AND": [not_blocked, {"OR": [{"expires": None}, {"expires": {"gte": now}}]}]}
        self.assertEqual(
            {k.token for k in await self.db.litellm_verificationtoken.find_many(where={"AND": [where, active]})},
            {keys[0].token, keys[1].token, keys[2].token},
        )
        # status "expired" and "revoked"
        expired = {"AND": [not_blocked, {"AND": [{"expires": {"not": None}}, {"expires": {"lt": now}}]}]}
        self.assertEqual(
            [k.token for k in await self.db.litellm_verificationtoken.find_many(where={"AND": [where, expired]})],
            [keys[3].token],
        )
        self.assertEqual(await self.db.litellm_verificationtoken.count(where={"AND": [where, {"blocked": True}]}), 1)
        # exact key_alias match and the sort_by path (a single-field order dict)
        self.assertEqual(
            [
                k.token
                for k in await self.db.litellm_verificationtoken.find_many(
                    where={"AND": [where, {"key_alias": keys[2].key_alias}]}, order={"key_alias": "asc"}
                )
            ],
            [keys[2].token],
        )

    async def test_delete_keys(self):
        # key_management_endpoints.delete_verification_tokens + persist_deleted_verification_tokens
        k1, _unused = await self.make_key(metadata={"a": 1}, tpm_limit=2**60, spend=1.5)
        k2, _unused = await self.make_key(expires=utc(2029, 1, 1))
        tokens = [k1.token, k2.token]
        rows = await self.db.litellm_verificationtoken.find_many(where={"token": {"in": tokens}})
        self.assertEqual(len(rows), 2)
        deleted_at = datetime.now(timezone.utc)
        records = []
        for key in rows:
            record = {
                k: v
                for k, v in key.model_dump().items()
                if k
                not in (
                    "litellm_budget_table",
                    "litellm_organization_table",
                    "litellm_project_table",
                    "object_permission",
                    "jwt_key_mappings",
                    "budget_limits",
                    "id",
                )
            }
            for json_field in (
                "aliases",
                "config",
                "permissions",
                "metadata",
                "model_spend",
                "model_max_budget",
                "budget_fallbacks",
                "router_settings",
            ):
                if record.get(json_field) is not None:
                    record[json_field] = json.dumps(record[json_field])
            record.update(
                deleted_at=deleted_at, deleted_by="qe-admin", deleted_by_api_key=None, litellm_changed_by=None
            )
            records.append(record)
        self.cleanup_where("litellm_deletedverificationtoken", {"token": {"in": tokens}})
        async with self.db.tx() as tx:
            self.assertEqual(await tx.litellm_deletedverificationtoken.create_many(data=records), 2)
            self.assertEqual(await tx.litellm_verificationtoken.delete_many(where={"token": {"in": tokens}}), 2)
        self.assertEqual(await self.db.litellm_verificationtoken.count(where={"token": {"in": tokens}}), 0)
        archived = await self.db.litellm_deletedverificationtoken.find_many(
            where={"token": {"in": tokens}}, order={"spend": "desc"}
        )
        self.assertEqual([a.token for a in archived], [k1.token, k2.token])
        self.assertEqual(archived[0].metadata, {"a": 1})
        self.assertEqual(archived[0].tpm_limit, 2**60)
        self.assertEqual(archived[1].expires, utc(2029, 1, 1))
        self.assertEqual(archived[0].deleted_at, deleted_at.replace(microsecond=deleted_at.microsecond // 1000 * 1000))
        self.assertEqual(await self.db.litellm_verificationtoken.delete_many(where={"token": {"in": tokens}}), 0)
        # key_management_endpoints._find_deleted_key_info: the newest archive row of a token
        later = dict(records[0], deleted_at=deleted_at + timedelta(minutes=5), deleted_by="second")
        self.assertEqual(await self.db.litellm_deletedverificationtoken.create_many(data=[later]), 1)
        newest = await self.db.litellm_deletedverificationtoken.find_first(
            where={"token": k1.token}, order={"deleted_at": "desc"}
        )
        self.assertEqual(newest.deleted_by, "second")
        oldest = await self.db.litellm_deletedverificationtoken.find_first(
            where={"token": k1.token}, order={"deleted_at": "asc"}
        )
        self.assertEqual(oldest.deleted_by, "qe-admin")


if __name__ == "__main__":
    unittest.main()
