"""Teams, team membership and users: the prisma-client-py shapes LiteLLM uses on
LiteLLM_TeamTable, LiteLLM_TeamMembership, LiteLLM_UserTable (and LiteLLM_DeletedTeamTable).

Covers:
  * team creation inside ``tx()`` with ``include={"litellm_model_table": True}``
    (management_endpoints/team_endpoints.py new_team) and the team upsert with an empty update
    (utils.py PrismaClient.insert_data / update_data table_name="team");
  * the member-add transaction: ``tx.query_raw(pg_advisory_xact_lock)`` then the raw read of
    ``members_with_roles`` (repositories/team_repository.py get_members_with_roles_locked) and the
    ``update(data={"members_with_roles": json.dumps(...)})`` (team_endpoints._add_team_members);
  * team lookups: ``find_unique(include=litellm_model_table)`` (get_data table_name="team"),
    ``members has``, ``team_id in`` (TeamRepository), the team list with ``contains`` +
    ``mode: insensitive``, ``startsWith``, ``OR``, ``skip/take/order`` and ``count``
    (team_endpoints list_team_v2 path) and ``group_by(by=["team_id"], count={"team_id": True})``
    of keys per team (team_endpoints._get_keys_count_by_team);
  * a ``batch_()`` of plain ``update``s committed with ``await batcher.commit()``
    (team_endpoints._compute_and_batch_updates);
  * team membership: ``create_many(skip_duplicates=True)`` + ``update_many(where budget_id None)``
    (team_endpoints backfill), the compound key ``user_id_team_id`` in ``find_unique`` with
    include, ``upsert`` with nested ``connect`` and ``update`` with ``disconnect``
    (management_endpoints/common_utils.py upsert_budget_and_membership), and the raw
    ``jsonb_to_recordset`` spend upsert under advisory locks inside a tx
    (db/db_spend_update_writer.py _write_team_member_spend);
  * team deletion: archive ``create`` + ``delete`` in one tx (TeamRepository.delete_team);
  * users: ``upsert`` create/update (insert_data / update_data table_name="user"),
    ``find_unique(include={"organization_memberships": True})`` (get_data / auth_checks),
    ``find_first(user_email equals + mode insensitive)`` (auth_checks.get_user_object), the raw
    user listing with ``json_agg`` and NULL ``LIMIT``/``OFFSET`` parameters (get_data user find_all),
    ``user_email in`` + ``mode insensitive`` (UserRepository.find_by_emails), ``teams has``,
    ``update_many(NOT teams has, teams push [id])`` (management_helpers/utils.py
    add_team_to_user), ``update(teams push id)`` (UserRepository.add_team), keyset pagination
    ``user_id gt cursor`` (reset_budget_job), ``count(metadata path equals Json(False))``
    (UserRepository.count_billable_users), the foreign-key error message insert_data matches on,
    and the unique violation on a duplicate user.
"""

from __future__ import annotations

import json
import os
import sys
import unittest
import uuid

import prisma
import prisma.errors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, close_shared_client, jsonify_object, uid

tearDownModule = close_shared_client  # disconnect the module's shared client

TEAM_ADVISORY_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext($1)) IS NULL AS locked"

# db/db_spend_update_writer.py _TEAM_MEMBER_SPEND_SQL, verbatim
TEAM_MEMBER_SPEND_SQL = """
INSERT INTO "LiteLLM_TeamMembership" (user_id, team_id, spend, total_spend)
SELECT member.user_id, member.team_id, member.cost, member.cost
FROM jsonb_to_recordset($1::jsonb) AS member(user_id text, team_id text, cost float8)
WHERE EXISTS (
    SELECT 1 FROM "LiteLLM_TeamTable" t
    WHERE t.team_id = member.team_id
      AND t.members_with_roles @> jsonb_build_array(jsonb_build_object('user_id', member.user_id))
)
   OR EXISTS (
    SELECT 1 FROM "LiteLLM_TeamMembership" m
    WHERE m.user_id = member.user_id AND m.team_id = member.team_id
)
ON CONFLICT (user_id, team_id) DO UPDATE
SET spend = "LiteLLM_TeamMembership".spend + EXCLUDED.spend,
    total_spend = "LiteLLM_TeamMembership".total_spend + EXCLUDED.total_spend
"""


class Teams(EngineTestCase):
    async def test_new_team_in_tx_with_model_table(self):
        # team_endpoints.new_team: tx.litellm_teamtable.create(data=..., include=_INCLUDE_MODEL_TABLE)
        model_row = await self.db.litellm_modeltable.create(
            data={"model_aliases": json.dumps({"gpt": "gpt-4o"}), "created_by": "qe", "updated_by": "qe"}
        )
        self.cleanup_where("litellm_modeltable", {"id": model_row.id})
        team_id = uid("team")
        members = [{"role": "admin", "user_id": uid("user"), "user_email": None}]
        data = jsonify_object(
            {
                "team_id": team_id,
                "team_alias": uid("alias"),
                "admins": [],
                "members": [m["user_id"] for m in members],
                "models": ["gpt-4o"],
                "metadata": {"a": {"b": [1, 2]}},
                "model_id": model_row.id,
                "router_settings": json.dumps({}),
                "tpm_limit": 2**40,
                "max_budget": 12.5,
                "budget_duration": "7d",
            }
        )
        data["members_with_roles"] = json.dumps(members)  # jsonify_team_object
        self.cleanup_where("litellm_teamtable", {"team_id": team_id})
        async with self.db.tx() as tx:
            team = await tx.litellm_teamtable.create(data=data, include={"litellm_model_table": True})
        self.assertEqual(team.team_id, team_id)
        self.assertEqual(team.members_with_roles, members)
        self.assertEqual(team.metadata, {"a": {"b": [1, 2]}})
        self.assertEqual(team.router_settings, {})
        self.assertEqual(team.tpm_limit, 2**40)
        self.assertEqual(team.litellm_model_table.id, model_row.id)
        self.assertEqual(team.litellm_model_table.model_aliases, {"gpt": "gpt-4o"})
        self.assertFalse(team.blocked)
        self.assertEqual(team.spend, 0.0)
        # get_data(table_name="team", query_type="find_unique")
        got = await self.db.litellm_teamtable.find_unique(
            where={"team_id": team_id}, include={"litellm_model_table": True}
        )
        self.assertEqual(got.litellm_model_table.id, model_row.id)
        self.assertEqual(got.model_dump()["members_with_roles"], members)
        # insert_data(table_name="team"): upsert with an empty update leaves it as it is
        again = await self.db.litellm_teamtable.upsert(
            where={"team_id": team_id}, data={"create": {**data, "team_alias": "other"}, "update": {}}
        )
        self.assertEqual(again.team_alias, team.team_alias)
        # update_data(team_id=...): upsert whose update carries json.dumps'd members_with_roles
        new_members = members + [{"role": "user", "user_id": uid("user"), "user_email": "x@y.z"}]
        updated = await self.db.litellm_teamtable.upsert(
            where={"team_id": team_id},
            data={"create": {**data}, "update": {"members_with_roles": json.dumps(new_members), "spend": 3.5}},
        )
        self.assertEqual(updated.members_with_roles, new_members)
        self.assertEqual(updated.spend, 3.5)

    async def test_member_add_under_advisory_lock(self):
        # team_endpoints._add_team_members (prisma_client.tx()) + TeamRepository.get_members_with_roles_locked
        members = [{"role": "admin", "user_id": uid("user"), "user_email": None}]
        team = await self.make_team(members_with_roles=json.dumps(members))
        newcomer = {"role": "user", "user_id": uid("user"), "user_email": "N@Example.com"}
        async with self.db.tx() as tx:
            locked = await tx.query_raw(TEAM_ADVISORY_LOCK_SQL, team.team_id)
            self.assertEqual(locked, [{"locked": False}])
            rows = await tx.query_raw(
                'SELECT members_with_roles FROM "LiteLLM_TeamTable" WHERE team_id = $1', team.team_id
            )
            raw_value = rows[0]["members_with_roles"]
            parsed = json.loads(raw_value) if isinstance(raw_value, str) else raw_value
            self.assertEqual(parsed, members)
            updated = await tx.litellm_teamtable.update(
                where={"team_id": team.team_id},
                data={"members_with_roles": json.dumps(parsed + [newcomer])},
            )
            self.assertIsNotNone(updated)
        got = await self.db.litellm_teamtable.find_unique(where={"team_id": team.team_id})
        self.assertEqual(got.members_with_roles, members + [newcomer])
        # a team deleted meanwhile: the locked read finds no row and the update returns None
        async with self.db.tx() as tx:
            await tx.query_raw(TEAM_ADVISORY_LOCK_SQL, uid("team"))
            self.assertEqual(
                await tx.query_raw(
                    'SELECT members_with_roles FROM "LiteLLM_TeamTable" WHERE team_id = $1', uid("team")
                ),
                [],
            )
            self.assertIsNone(
                await tx.litellm_teamtable.update(where={"team_id": uid("team")}, data={"members_with_roles": "[]"})
            )

    async def test_team_lookups_and_list(self):
        # TeamRepository.find_by_member/find_by_admin; team_endpoints list_team_v2 where/skip/take/order/count
        marker = "TeAm" + uuid.uuid4().hex[:8]
        org_budget = await self.make_budget()
        org = await self.make_org(org_budget.budget_id)
        user_id = uid("user")
        teams = []
        for i in range(4):
            teams.append(
                await self.make_team(
                    team_alias=f"{marker.upper() if i % 2 else marker.lower()}-{i}",
                    members=[user_id] if i < 2 else [],
                    admins=[user_id] if i == 0 else [],
                    organization_id=org.organization_id if i != 3 else None,
                )
            )
        ids = [t.team_id for t in teams]
        # TeamRepository.find_by_member / find_by_admin / get_data team_id_list
        self.assertEqual(
            {t.team_id for t in await self.db.litellm_teamtable.find_many(where={"members": {"has": user_id}})},
            set(ids[:2]),
        )
        self.assertEqual(
            [t.team_id for t in await self.db.litellm_teamtable.find_many(where={"admins": {"has": user_id}})], ids[:1]
        )
        self.assertEqual(
            {t.team_id for t in await self.db.litellm_teamtable.find_many(where={"team_id": {"in": ids}})}, set(ids)
        )
        # list_team_v2: alias contains (insensitive), search OR, org scope, skip/take/order, count
        where = {
            "team_alias": {"contains": marker.swapcase(), "mode": "insensitive"},
            "OR": [
                {"team_id": {"startsWith": ids[0][:-4]}},
                {"team_alias": {"contains": marker, "mode": "insensitive"}},
            ],
            "organization_id": org.organization_id,
        }
        page = await self.db.litellm_teamtable.find_many(
            where=where, skip=1, take=2, order={"team_alias": "asc"}, include={"litellm_model_table": True}
        )
        # aliases sorted: "TEAM..-1" < "team..-0" < "team..-2" in byte order; the database collation decides,
        # so compare against the database's own full ordering
        everything = await self.db.litellm_teamtable.find_many(where=where, order={"team_alias": "asc"})
        self.assertEqual(len(everything), 3)
        self.assertEqual([t.team_id for t in page], [t.team_id for t in everything[1:3]])
        self.assertEqual(await self.db.litellm_teamtable.count(where=where), 3)
        # the startswith spelling prisma-client-py aliases itself
        self.assertEqual(
            [t.team_id for t in await self.db.litellm_teamtable.find_many(where={"team_id": {"startswith": ids[2]}})],
            [ids[2]],
        )
        # org admin scope: OR of organization_id in / team_id in, under AND
        scoped = await self.db.litellm_teamtable.find_many(
            where={
                "team_alias": {"contains": marker, "mode": "insensitive"},
                "AND": [{"OR": [{"organization_id": {"in": [org.organization_id]}}, {"team_id": {"in": [ids[3]]}}]}],
            },
            order={"created_at": "desc"},
        )
        self.assertEqual({t.team_id for t in scoped}, set(ids))

    async def test_key_counts_per_team(self):
        # team_endpoints._get_keys_count_by_team
        t1 = await self.make_team()
        t2 = await self.make_team()
        t3 = await self.make_team()
        for _unused in range(3):
            await self.make_key(team_id=t1.team_id)
        await self.make_key(team_id=t2.team_id)
        grouped = await self.db.litellm_verificationtoken.group_by(
            by=["team_id"],
            where={"team_id": {"in": [t1.team_id, t2.team_id, t3.team_id]}},
            count={"team_id": True},
        )
        counts = {row["team_id"]: row.get("_count", {}).get("team_id", 0) for row in grouped if row.get("team_id")}
        self.assertEqual(counts, {t1.team_id: 3, t2.team_id: 1})

    async def test_batch_of_updates_commit(self):
        # team_endpoints._compute_and_batch_updates: batcher = db.batch_(); batcher.x.update(); await batcher.commit()
        t1 = await self.make_team(team_member_permissions=["a"])
        t2 = await self.make_team()
        batcher = self.db.batch_()
        batcher.litellm_teamtable.update(where={"team_id": t1.team_id}, data={"team_member_permissions": ["a", "b"]})
        batcher.litellm_teamtable.update(where={"team_id": t2.team_id}, data={"team_member_permissions": ["c"]})
        await batcher.commit()
        rows = await self.db.litellm_teamtable.find_many(where={"team_id": {"in": [t1.team_id, t2.team_id]}})
        self.assertEqual(
            {r.team_id: r.team_member_permissions for r in rows}, {t1.team_id: ["a", "b"], t2.team_id: ["c"]}
        )

    async def test_delete_team_archives_in_tx(self):
        # repositories/team_repository.py TeamRepository.delete_team
        team = await self.make_team(
            metadata={"m": 1}, members_with_roles=json.dumps([{"role": "admin", "user_id": "u"}])
        )
        self.cleanup_where("litellm_deletedteamtable", {"team_id": team.team_id})
        archive = {
            "team_id": team.team_id,
            "team_alias": team.team_alias,
            "admins": team.admins,
            "members": team.members,
            "members_with_roles": json.dumps(team.members_with_roles),
            "metadata": json.dumps(team.metadata),
            "spend": team.spend,
            "models": team.models,
            "blocked": team.blocked,
            "created_at": team.created_at,
            "updated_at": team.updated_at,
            "deleted_by": "qe",
            "deleted_at": team.created_at,
        }
        async with self.db.tx() as tx:
            await tx.litellm_deletedteamtable.create(data=archive)
            deleted = await tx.litellm_teamtable.delete(where={"team_id": team.team_id})
            self.assertEqual(deleted.team_id, team.team_id)
        self.assertIsNone(await self.db.litellm_teamtable.find_unique(where={"team_id": team.team_id}))
        archived = await self.db.litellm_deletedteamtable.find_first(where={"team_id": team.team_id})
        self.assertEqual(archived.members_with_roles, [{"role": "admin", "user_id": "u"}])
        self.assertEqual(archived.created_at, team.created_at)
        # deleting again: prisma-client-py's delete returns None for a missing row
        self.assertIsNone(await self.db.litellm_teamtable.delete(where={"team_id": team.team_id}))


class TeamMembership(EngineTestCase):
    async def test_backfill_create_many_and_update_many(self):
        # team_endpoints: create_many(data=missing, skip_duplicates=True) then update_many(budget_id None)
        team = await self.make_team()
        budget = await self.make_budget(max_budget=5.0)
        users = [uid("user") for _unused in range(3)]
        self.cleanup_where("litellm_teammembership", {"team_id": team.team_id})
        await self.db.litellm_teammembership.create(data={"user_id": users[0], "team_id": team.team_id})
        existing = await self.db.litellm_teammembership.find_many(where={"team_id": team.team_id})
        existing_ids = {m.user_id for m in existing}
        missing = [
            {"team_id": team.team_id, "user_id": u, "budget_id": budget.budget_id}
            for u in users
            if u not in existing_ids
        ]
        self.assertEqual(await self.db.litellm_teammembership.create_many(data=missing, skip_duplicates=True), 2)
        self.assertEqual(await self.db.litellm_teammembership.create_many(data=missing, skip_duplicates=True), 0)
        updated = await self.db.litellm_teammembership.update_many(
            where={"team_id": team.team_id, "budget_id": None}, data={"budget_id": budget.budget_id}
        )
        self.assertEqual(updated, 1)
        rows = await self.db.litellm_teammembership.find_many(where={"team_id": team.team_id})
        self.assertEqual({r.user_id: r.budget_id for r in rows}, dict.fromkeys(users, budget.budget_id))

    async def test_compound_key_connect_disconnect(self):
        # auth_checks get_team_membership + common_utils.upsert_budget_and_membership
        team = await self.make_team()
        user = await self.make_user()
        where = {"user_id_team_id": {"user_id": user.user_id, "team_id": team.team_id}}
        self.cleanup_where("litellm_teammembership", {"team_id": team.team_id})
        self.assertIsNone(
            await self.db.litellm_teammembership.find_unique(where=where, include={"litellm_budget_table": True})
        )
        async with self.db.tx() as tx:
            new_budget = await tx.litellm_budgettable.create(
                data={"created_by": "qe", "updated_by": "qe", "max_budget": 2.5, "tpm_limit": 100},
                include={"team_membership": True},
            )
            self.cleanup_where("litellm_budgettable", {"budget_id": new_budget.budget_id})
            self.assertEqual(new_budget.team_membership, [])
            await tx.litellm_teammembership.upsert(
                where=where,
                data={
                    "create": {
                        "user_id": user.user_id,
                        "team_id": team.team_id,
                        "litellm_budget_table": {"connect": {"budget_id": new_budget.budget_id}},
                    },
                    "update": {"litellm_budget_table": {"connect": {"budget_id": new_budget.budget_id}}},
                },
            )
        membership = await self.db.litellm_teammembership.find_unique(
            where=where, include={"litellm_budget_table": True}
        )
        self.assertEqual(membership.budget_id, new_budget.budget_id)
        self.assertEqual(membership.litellm_budget_table.max_budget, 2.5)
        self.assertEqual(membership.litellm_budget_table.tpm_limit, 100)
        self.assertEqual(
            [
                m.user_id
                for m in (
                    await self.db.litellm_budgettable.find_unique(
                        where={"budget_id": new_budget.budget_id}, include={"team_membership": True}
                    )
                ).team_membership
            ],
            [user.user_id],
        )
        # budget patch in place, then _disconnect()
        async with self.db.tx() as tx:
            existing = await tx.litellm_budgettable.find_unique(where={"budget_id": new_budget.budget_id})
            self.assertEqual(existing.max_budget, 2.5)
            await tx.litellm_budgettable.update(
                where={"budget_id": new_budget.budget_id}, data={"updated_by": "qe2", "max_budget": None}
            )
            await tx.litellm_teammembership.update(where=where, data={"litellm_budget_table": {"disconnect": True}})
        membership = await self.db.litellm_teammembership.find_unique(
            where=where, include={"litellm_budget_table": True}
        )
        self.assertIsNone(membership.budget_id)
        self.assertIsNone(membership.litellm_budget_table)
        patched = await self.db.litellm_budgettable.find_unique(where={"budget_id": new_budget.budget_id})
        self.assertIsNone(patched.max_budget)
        self.assertEqual(patched.updated_by, "qe2")

    async def test_member_spend_raw_upsert(self):
        # db_spend_update_writer._write_team_member_spend inside _spend_update_tx
        roster_user = uid("user")
        team = await self.make_team(members_with_roles=json.dumps([{"role": "user", "user_id": roster_user}]))
        gone_user = uid("user")
        self.cleanup_where("litellm_teammembership", {"team_id": team.team_id})
        for costs in ((0, 0), (0.25, 1.5), (0.5, 2)):
            async with self.db.tx() as tx:
                await tx.execute_raw("SELECT set_config('lock_timeout', $1::text, true)", "5000ms")
                await tx.execute_raw(TEAM_ADVISORY_LOCK_SQL, team.team_id)
                members = [
                    {"user_id": roster_user, "team_id": team.team_id, "cost": costs[0]},
                    {"user_id": gone_user, "team_id": team.team_id, "cost": costs[1]},
                ]
                await tx.execute_raw(TEAM_MEMBER_SPEND_SQL, json.dumps(members))
        rows = await self.db.litellm_teammembership.find_many(where={"team_id": team.team_id})
        # only the rostered user gets a row; its spend sums exactly (0 + 0.25 + 0.5)
        self.assertEqual([(r.user_id, r.spend, r.total_spend) for r in rows], [(roster_user, 0.75, 0.75)])


class Users(EngineTestCase):
    async def test_user_upsert_and_lookups(self):
        # utils.py insert_data(table_name="user") / update_data(user_id=...) / get_data(user)
        user_id = uid("user")
        email = f"{uid('mail')}@Example.COM"
        data = jsonify_object(
            {
                "user_id": user_id,
                "user_email": email,
                "user_role": "internal_user",
                "teams": [],
                "models": [],
                "max_budget": 10.0,
                "metadata": {"scim_active": False, "nested": {"x": [1, None, "ü"]}},
                "tpm_limit": 2**53 + 1,
                "budget_duration": "1mo",
            }
        )
        self.cleanup_where("litellm_usertable", {"user_id": user_id})
        created = await self.db.litellm_usertable.upsert(
            where={"user_id": user_id}, data={"create": {**data}, "update": {}}
        )
        self.assertEqual(created.metadata, {"scim_active": False, "nested": {"x": [1, None, "ü"]}})
        self.assertEqual(created.tpm_limit, 2**53 + 1)
        updated = await self.db.litellm_usertable.upsert(
            where={"user_id": user_id}, data={"create": {**data}, "update": {"spend": 4.25, "user_alias": "al"}}
        )
        self.assertEqual((updated.spend, updated.user_alias, updated.max_budget), (4.25, "al", 10.0))
        got = await self.db.litellm_usertable.find_unique(
            where={"user_id": user_id}, include={"organization_memberships": True}
        )
        self.assertEqual(got.organization_memberships, [])
        # auth_checks.get_user_object: sso lookup then case-insensitive email lookup
        self.assertIsNone(
            await self.db.litellm_usertable.find_unique(
                where={"sso_user_id": uid("sso")}, include={"organization_memberships": True}
            )
        )
        by_mail = await self.db.litellm_usertable.find_first(
            where={"user_email": {"equals": email.lower(), "mode": "insensitive"}},
            include={"organization_memberships": True},
        )
        self.assertEqual(by_mail.user_id, user_id)
        self.assertIsNone(await self.db.litellm_usertable.find_first(where={"user_email": {"equals": email.lower()}}))
        # UserRepository.find_by_emails: in + mode insensitive
        found = await self.db.litellm_usertable.find_many(
            where={"user_email": {"in": [email.upper(), "nobody@example.com"], "mode": "insensitive"}}
        )
        self.assertEqual([u.user_id for u in found], [user_id])
        # get_data(table_name="user", query_type="find_all", user_id_list=[...])
        self.assertEqual(
            [u.user_id for u in await self.db.litellm_usertable.find_many(where={"user_id": {"in": [user_id]}})],
            [user_id],
        )

    async def test_user_list_raw_with_key_aliases(self):
        # utils.py get_data(table_name="user", query_type="find_all") without expires: the raw
        # json_agg listing with LIMIT $1 OFFSET $2, where limit/offset may be None (NULL)
        users = [await self.make_user(spend=float(i)) for i in range(3)]
        await self.make_key(user_id=users[2].user_id, key_alias="alias-a")
        await self.make_key(user_id=users[2].user_id, key_alias=None)
        sql = """
                        SELECT
                            u.*,
                            json_agg(v.key_alias) AS key_aliases
                        FROM
                            "LiteLLM_UserTable" u
                        LEFT JOIN "LiteLLM_VerificationToken" v ON u.user_id = v.user_id
                        WHERE u.user_id = ANY($3::text[])
                        GROUP BY
                            u.user_id
                        ORDER BY u.spend DESC
                        LIMIT $1
                        OFFSET $2
                        """
        ids = [u.user_id for u in users]
        rows = await self.db.query_raw(sql, None, None, ids)
        self.assertEqual([r["user_id"] for r in rows], ids[::-1])
        self.assertEqual(sorted(rows[0]["key_aliases"], key=str), sorted(["alias-a", None], key=str))
        self.assertEqual(rows[1]["key_aliases"], [None])
        self.assertEqual(rows[0]["metadata"], {})
        self.assertEqual(rows[0]["teams"], [])
        self.assertEqual(rows[0]["spend"], 2.0)
        page = await self.db.query_raw(sql, 1, 1, ids)
        self.assertEqual([r["user_id"] for r in page], [ids[1]])

    async def test_teams_array_push_and_has(self):
        # management_helpers/utils.py add_team_to_user; UserRepository.add_team / find_by_team_id / remove_team
        team_id = uid("team")
        user = await self.make_user(teams=[uid("team")])
        # management_helpers/utils.py add_team_to_user: update_many(NOT has, push [id]) twice is one push
        for _unused in range(2):
            await self.db.litellm_usertable.update_many(
                where={"user_id": user.user_id, "NOT": {"teams": {"has": team_id}}},
                data={"teams": {"push": [team_id]}},
            )
        got = await self.db.litellm_usertable.find_unique(where={"user_id": user.user_id})
        self.assertEqual(got.teams, [user.teams[0], team_id])
        # UserRepository.add_team: update(data={"teams": {"push": team_id}})
        second = uid("team")
        pushed = await self.db.litellm_usertable.update(
            where={"user_id": user.user_id}, data={"teams": {"push": second}}
        )
        self.assertEqual(pushed.teams, [user.teams[0], team_id, second])
        # UserRepository.find_by_team_id / internal_user_endpoints "teams has"
        self.assertEqual(
            [u.user_id for u in await self.db.litellm_usertable.find_many(where={"teams": {"has": second}})],
            [user.user_id],
        )
        # UserRepository.remove_team: set the whole list
        reset = await self.db.litellm_usertable.update(where={"user_id": user.user_id}, data={"teams": [second]})
        self.assertEqual(reset.teams, [second])

    async def test_keyset_pagination_and_scim_count(self):
        # reset_budget_job._fetch_enduser_page style keyset walk + UserRepository.count_billable_users
        prefix = uid("page")
        users = [
            await self.make_user(user_id=f"{prefix}-{i:02d}", metadata={"scim_active": i % 3 != 0}) for i in range(7)
        ]
        seen = []
        cursor = f"{prefix}-"
        while True:
            page = await self.db.litellm_usertable.find_many(
                where={"user_id": {"gt": cursor, "startswith": prefix}}, order={"user_id": "asc"}, take=3
            )
            seen.extend(u.user_id for u in page)
            if len(page) < 3:
                break
            cursor = page[-1].user_id
        self.assertEqual(seen, [u.user_id for u in users])
        deactivated = await self.db.litellm_usertable.count(
            where={
                "user_id": {"startswith": prefix},
                "metadata": {"path": ["scim_active"], "equals": prisma.Json(False)},
            }
        )
        self.assertEqual(deactivated, 3)
        self.assertEqual(await self.db.litellm_usertable.count(where={"user_id": {"startswith": prefix}}), 7)

    async def test_user_errors(self):
        # insert_data(table_name="user") matches this exact foreign-key message
        missing_org = uid("org")
        user_id = uid("user")
        self.cleanup_where("litellm_usertable", {"user_id": user_id})
        with self.assertRaises(prisma.errors.ForeignKeyViolationError) as caught:
            await self.db.litellm_usertable.upsert(
                where={"user_id": user_id},
                data={"create": {"user_id": user_id, "organization_id": missing_org, "models": []}, "update": {}},
            )
        self.assertIn(
            "Foreign key constraint failed on the field: `LiteLLM_UserTable_organization_id_fkey (index)`",
            str(caught.exception),
        )
        # a duplicate primary key
        user = await self.make_user()
        with self.assertRaises(prisma.errors.UniqueViolationError) as dup:
            await self.db.litellm_usertable.create(data={"user_id": user.user_id, "models": []})
        self.assertIn("P2002", json.dumps(dup.exception.data))
        # the client is still fine afterwards
        self.assertIsNotNone(await self.db.litellm_usertable.find_unique(where={"user_id": user.user_id}))


if __name__ == "__main__":
    unittest.main()
