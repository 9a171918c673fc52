"""Budgets, organizations, organization membership and end users.

Covers:
  * a relation ``include`` with ``where``/``order_by``/``take`` arguments
    (workflow_management_endpoints) and ``find_many(distinct=[...])`` (prompt_endpoints);
  * budgets: ``create`` with json.dumps'd model_max_budget, BigInt limits and DateTime reset
    (management_endpoints/budget_management_endpoints.py new_budget) and its
    UniqueViolationError on a duplicate id, ``update`` / ``find_many(budget_id in)`` /
    ``delete`` (update_budget / info_budget / delete_budget);
  * the budget reset sweep: ``find_many(take, NOT budget_duration None, OR budget_reset_at
    None / lt)`` (utils.py PrismaClient.get_data table_name="budget") and the cascade
    ``batch_()`` of ``update_many`` with ``{"decrement": x}``, ``{"spend": 0}`` and the window
    advance (repositories/unit_of_work.py, common_utils/reset_budget_job.py) plus the key/user/
    team ``update(spend decrement, budget_reset_at)`` resets (unit_of_work.SpendResetUnitOfWork);
  * organizations: ``create(include={"litellm_budget_table": True})``
    (organization_endpoints.new_organization), ``find_unique`` with nested
    ``include={"members": {"include": {"user": True}}, "teams", "object_permission", budget}``
    (info_organization), ``find_many(where, include=...)`` (list_organization),
    ``update`` of budget + org in one tx with include (update_organization), ``delete`` with
    include (delete_organization);
  * organization membership: ``create`` (add_member_to_organization), compound key
    ``user_id_organization_id`` ``update``/``find_unique(include budget)``
    (organization_member_update), ``users organization_memberships some`` filter
    (internal_user_endpoints), and the spend flush ``tx`` + ``batch_()``
    ``update_many(where organization_id+user_id, spend increment)``
    (db_spend_update_writer org_member_list_transactions) and org spend increment
    (org_list_transactions);
  * end users: the spend flush ``tx(timeout=60s)`` + ``batch_()`` of ``upsert(create,
    update={"spend": {"increment": x}})`` (utils.py ProxyUpdateSpend.update_end_user_spend),
    ``find_unique(include budget + object_permission)`` (auth_checks.get_end_user_object),
    ``find_many(budget_id in)`` (get_data table_name="enduser"), and the exact
    "Unique constraint failed on the fields: (`user_id`)" text customer_endpoints.new_end_user
    matches on.
"""

from __future__ import annotations

import json
import os
import sys
import unittest
from datetime import datetime, timedelta, timezone

import prisma.errors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, close_shared_client, jsonify_object, uid, utc

tearDownModule = close_shared_client  # disconnect the module's shared client


class Budgets(EngineTestCase):
    async def test_budget_crud(self):
        # budget_management_endpoints.new_budget / update_budget / info_budget / delete_budget
        budget_id = uid("budget")
        reset_at = utc(2030, 2, 3, 4, 5, 6, 789000)
        data = jsonify_object(
            {
                "budget_id": budget_id,
                "max_budget": 100.0,
                "soft_budget": 80.0,
                "tpm_limit": 2**53 + 3,
                "rpm_limit": 1000,
                "tpd_limit": 9223372036854775807,
                "model_max_budget": {"gpt-4o": {"budget_limit": 10, "time_period": "1d"}},
                "budget_duration": "30d",
                "budget_reset_at": reset_at,
                "allowed_models": ["gpt-4o"],
            }
        )
        self.cleanup_where("litellm_budgettable", {"budget_id": budget_id})
        created = await self.db.litellm_budgettable.create(data={**data, "created_by": "qe", "updated_by": "qe"})
        self.assertEqual(created.tpm_limit, 2**53 + 3)
        self.assertEqual(created.tpd_limit, 9223372036854775807)
        self.assertEqual(created.model_max_budget, {"gpt-4o": {"budget_limit": 10, "time_period": "1d"}})
        self.assertEqual(created.budget_reset_at, reset_at)
        self.assertEqual(created.allowed_models, ["gpt-4o"])
        with self.assertRaises(prisma.errors.UniqueViolationError):
            await self.db.litellm_budgettable.create(data={**data, "created_by": "qe", "updated_by": "qe"})
        updated = await self.db.litellm_budgettable.update(
            where={"budget_id": budget_id},
            data={"max_budget": 150.5, "updated_by": "qe2", "tpm_limit": None, "temp_budget_increase": 5.0},
        )
        self.assertEqual((updated.max_budget, updated.tpm_limit, updated.temp_budget_increase), (150.5, None, 5.0))
        self.assertGreaterEqual(updated.updated_at, created.updated_at)  # @updatedAt
        info = await self.db.litellm_budgettable.find_many(where={"budget_id": {"in": [budget_id, uid("budget")]}})
        self.assertEqual([b.budget_id for b in info], [budget_id])
        deleted = await self.db.litellm_budgettable.delete(where={"budget_id": budget_id})
        self.assertEqual(deleted.budget_id, budget_id)
        self.assertIsNone(await self.db.litellm_budgettable.delete(where={"budget_id": budget_id}))

    async def test_budget_relations_include_with_arguments(self):
        # a relation include carrying where/order_by/take (the workflow_management_endpoints
        # ``include={"events": {"order_by": ..., "take": 1}}`` shape) and find_many(distinct=...)
        # (prompts/prompt_endpoints.py), on a budget and the keys it gates
        budget = await self.make_budget(max_budget=1.0)
        keys = [
            (await self.make_key(budget_id=budget.budget_id, spend=float(i), key_alias=uid("alias")))[0]
            for i in range(4)
        ]
        got = await self.db.litellm_budgettable.find_unique(
            where={"budget_id": budget.budget_id},
            include={"keys": {"order_by": {"spend": "desc"}, "take": 2, "where": {"spend": {"lt": 3.0}}}},
        )
        self.assertEqual([k.token for k in got.keys], [keys[2].token, keys[1].token])
        full = await self.db.litellm_budgettable.find_unique(
            where={"budget_id": budget.budget_id}, include={"keys": True, "organization": True, "team_membership": True}
        )
        self.assertEqual(
            ({k.token for k in full.keys}, full.organization, full.team_membership), ({k.token for k in keys}, [], [])
        )
        distinct = await self.db.litellm_verificationtoken.find_many(
            where={"budget_id": budget.budget_id}, distinct=["budget_id"]
        )
        self.assertEqual(len(distinct), 1)
        self.assertEqual(distinct[0].budget_id, budget.budget_id)

    async def test_budget_reset_sweep_and_cascade(self):
        # utils.py get_data(table_name="budget") + unit_of_work.budget_cascade_unit_of_work (reset_budget_job)
        now = datetime.now(timezone.utc)
        due_null = await self.make_budget(budget_duration="1d")
        due_past = await self.make_budget(budget_duration="1d", budget_reset_at=now - timedelta(hours=1))
        not_due = await self.make_budget(budget_duration="1d", budget_reset_at=now + timedelta(hours=1))
        no_duration = await self.make_budget(budget_reset_at=now - timedelta(hours=1))
        ours = [b.budget_id for b in (due_null, due_past, not_due, no_duration)]
        rows = await self.db.litellm_budgettable.find_many(
            take=1000,
            where={
                "NOT": {"budget_duration": None},
                "OR": [{"budget_reset_at": None}, {"budget_reset_at": {"lt": now}}],
                "budget_id": {"in": ours},
            },
        )
        self.assertEqual({r.budget_id for r in rows}, {due_null.budget_id, due_past.budget_id})

        # dependents gated by due_past
        key, _unused = await self.make_key(budget_id=due_past.budget_id, spend=7.5)
        team = await self.make_team()
        self.cleanup_where("litellm_teammembership", {"team_id": team.team_id})
        await self.db.litellm_teammembership.create(
            data={"user_id": uid("user"), "team_id": team.team_id, "budget_id": due_past.budget_id, "spend": 2.0}
        )
        org = await self.make_org(due_past.budget_id, spend=40.0)
        next_window = now + timedelta(days=1)
        async with self.db.batch_() as batch:
            batch.litellm_teammembership.update_many(where={"budget_id": due_past.budget_id}, data={"spend": 0})
            batch.litellm_verificationtoken.update_many(
                where={"budget_id": due_past.budget_id}, data={"spend": {"decrement": 2.5}}
            )
            batch.litellm_organizationtable.update_many(
                where={"budget_id": due_past.budget_id}, data={"spend": {"decrement": 40.0}}
            )
            batch.litellm_budgettable.update_many(
                where={"budget_id": due_past.budget_id}, data={"budget_reset_at": next_window}
            )
            batch.litellm_budgettable.update_many(
                where={"budget_id": uid("gone")}, data={"budget_reset_at": next_window}
            )
        self.assertEqual((await self.db.litellm_verificationtoken.find_unique(where={"token": key.token})).spend, 5.0)
        self.assertEqual(
            [m.spend for m in await self.db.litellm_teammembership.find_many(where={"team_id": team.team_id})], [0.0]
        )
        self.assertEqual(
            (await self.db.litellm_organizationtable.find_unique(where={"organization_id": org.organization_id})).spend,
            0.0,
        )
        advanced = await self.db.litellm_budgettable.find_unique(where={"budget_id": due_past.budget_id})
        self.assertEqual(
            advanced.budget_reset_at, next_window.replace(microsecond=next_window.microsecond // 1000 * 1000)
        )

    async def test_spend_reset_unit_of_work(self):
        # unit_of_work.Key/User/TeamSpendResetWrites.queue_spend_reset in one batch
        key, _unused = await self.make_key(spend=3.0, budget_duration="1d")
        user = await self.make_user(spend=4.0, budget_duration="1d")
        team = await self.make_team(spend=5.0, budget_duration="1d")
        reset_at = utc(2031, 6, 1)
        async with self.db.batch_() as batch:
            batch.litellm_verificationtoken.update(
                where={"token": key.token}, data={"spend": {"decrement": 3.0}, "budget_reset_at": reset_at}
            )
            batch.litellm_usertable.update(
                where={"user_id": user.user_id}, data={"spend": {"decrement": 1.5}, "budget_reset_at": reset_at}
            )
            batch.litellm_teamtable.update(
                where={"team_id": team.team_id}, data={"spend": {"decrement": 5.0}, "budget_reset_at": None}
            )
        k = await self.db.litellm_verificationtoken.find_unique(where={"token": key.token})
        u = await self.db.litellm_usertable.find_unique(where={"user_id": user.user_id})
        t = await self.db.litellm_teamtable.find_unique(where={"team_id": team.team_id})
        self.assertEqual((k.spend, k.budget_reset_at), (0.0, reset_at))
        self.assertEqual((u.spend, u.budget_reset_at), (2.5, reset_at))
        self.assertEqual((t.spend, t.budget_reset_at), (0.0, None))


class Organizations(EngineTestCase):
    async def test_org_create_info_list_update_delete(self):
        # organization_endpoints new/info/list/update/delete_organization, organization_member_update;
        # db_spend_update_writer org branches
        budget = await self.make_budget(max_budget=500.0, tpm_limit=10_000)
        perm_id = uid("perm")
        self.cleanup_where("litellm_objectpermissiontable", {"object_permission_id": perm_id})
        await self.db.litellm_objectpermissiontable.create(
            data={"object_permission_id": perm_id, "mcp_servers": ["srv"], "vector_stores": []}
        )
        org_id = uid("org")
        payload = jsonify_object(
            {
                "organization_id": org_id,
                "organization_alias": uid("org-alias"),
                "budget_id": budget.budget_id,
                "metadata": {"sso": {"domains": ["example.com"]}, "emoji": "🚀"},
                "models": ["gpt-4o"],
                "object_permission_id": perm_id,
                "created_by": "qe",
                "updated_by": "qe",
            }
        )
        self.cleanup_where("litellm_organizationtable", {"organization_id": org_id})
        created = await self.db.litellm_organizationtable.create(
            data={**payload}, include={"litellm_budget_table": True}
        )
        self.assertEqual(created.litellm_budget_table.max_budget, 500.0)
        self.assertEqual(created.metadata, {"sso": {"domains": ["example.com"]}, "emoji": "🚀"})
        self.assertEqual(created.model_spend, {})

        user = await self.make_user(organization_id=org_id)
        self.cleanup_where("litellm_organizationmembership", {"organization_id": org_id})
        membership = await self.db.litellm_organizationmembership.create(
            data={"organization_id": org_id, "user_id": user.user_id, "user_role": "org_admin"}
        )
        self.assertEqual(membership.spend, 0.0)
        team = await self.make_team(organization_id=org_id)

        info = await self.db.litellm_organizationtable.find_unique(
            where={"organization_id": org_id},
            include={
                "litellm_budget_table": True,
                "members": {"include": {"user": True}},
                "teams": True,
                "object_permission": True,
            },
        )
        self.assertEqual(info.litellm_budget_table.tpm_limit, 10_000)
        self.assertEqual(
            [(m.user_id, m.user.user_id, m.user_role) for m in info.members],
            [(user.user_id, user.user_id, "org_admin")],
        )
        self.assertEqual([t.team_id for t in info.teams], [team.team_id])
        self.assertEqual(info.object_permission.mcp_servers, ["srv"])

        listed = await self.db.litellm_organizationtable.find_many(
            where={"organization_id": {"in": [org_id]}},
            include={"litellm_budget_table": True, "members": True, "teams": True},
        )
        self.assertEqual([(o.organization_id, len(o.members), len(o.teams)) for o in listed], [(org_id, 1, 1)])
        # internal_user_endpoints: users whose organization_memberships has some org in the list
        some = await self.db.litellm_usertable.find_many(
            where={"organization_memberships": {"some": {"organization_id": {"in": [org_id]}}}}
        )
        self.assertEqual([u.user_id for u in some], [user.user_id])

        # organization_member_update: compound key update + find_unique include budget
        member_where = {"user_id_organization_id": {"user_id": user.user_id, "organization_id": org_id}}
        await self.db.litellm_organizationmembership.update(where=member_where, data={"user_role": "internal_user"})
        await self.db.litellm_organizationmembership.update(where=member_where, data={"budget_id": budget.budget_id})
        final = await self.db.litellm_organizationmembership.find_unique(
            where=member_where, include={"litellm_budget_table": True}
        )
        self.assertEqual((final.user_role, final.litellm_budget_table.budget_id), ("internal_user", budget.budget_id))

        # update_organization: budget update + org update with include, one tx
        async with self.db.tx() as tx:
            await tx.litellm_budgettable.update(
                where={"budget_id": budget.budget_id}, data={"max_budget": 600.0, "updated_by": "qe"}
            )
            response = await tx.litellm_organizationtable.update(
                where={"organization_id": org_id},
                data={"metadata": json.dumps({"new": True}), "models": ["a", "b"], "updated_by": "qe"},
                include={"members": True, "teams": True, "litellm_budget_table": True},
            )
        self.assertEqual(response.metadata, {"new": True})
        self.assertEqual(response.litellm_budget_table.max_budget, 600.0)
        self.assertEqual(len(response.members), 1)

        # spend flush: org + org-member increments (db_spend_update_writer)
        for _unused in range(2):
            async with self.db.tx(timeout=timedelta(seconds=60)) as tx:
                await tx.execute_raw("SELECT set_config('lock_timeout', $1::text, true)", "5000ms")
                async with tx.batch_() as batcher:
                    batcher.litellm_organizationtable.update_many(
                        where={"organization_id": org_id}, data={"spend": {"increment": 0.75}}
                    )
                    batcher.litellm_organizationmembership.update_many(
                        where={"organization_id": org_id, "user_id": user.user_id}, data={"spend": {"increment": 0.125}}
                    )
        self.assertEqual(
            (await self.db.litellm_organizationtable.find_unique(where={"organization_id": org_id})).spend, 1.5
        )
        self.assertEqual((await self.db.litellm_organizationmembership.find_unique(where=member_where)).spend, 0.25)

        # delete_organization: dependents first, then delete with include
        await self.db.litellm_organizationmembership.delete_many(where={"organization_id": org_id})
        await self.db.litellm_teamtable.update(where={"team_id": team.team_id}, data={"organization_id": None})
        await self.db.litellm_usertable.update(where={"user_id": user.user_id}, data={"organization_id": None})
        deleted = await self.db.litellm_organizationtable.delete(
            where={"organization_id": org_id}, include={"members": True, "teams": True, "litellm_budget_table": True}
        )
        self.assertEqual((deleted.organization_id, deleted.members, deleted.teams), (org_id, [], []))
        self.assertEqual(deleted.litellm_budget_table.budget_id, budget.budget_id)
        self.assertIsNone(await self.db.litellm_organizationtable.find_unique(where={"organization_id": org_id}))


class EndUsers(EngineTestCase):
    async def test_end_user_spend_flush_and_lookups(self):
        # utils.py ProxyUpdateSpend.update_end_user_spend; auth_checks.get_end_user_object;
        # get_data(table_name="enduser")
        budget = await self.make_budget(max_budget=9.0)
        existing = uid("enduser")
        fresh = uid("enduser")
        self.cleanup_where("litellm_endusertable", {"user_id": {"in": [existing, fresh]}})
        await self.db.litellm_endusertable.create(
            data={"user_id": existing, "spend": 1.0, "budget_id": budget.budget_id, "alias": "ü-alias"}
        )
        transactions = {existing: 0.5, fresh: 0.25}
        for _unused in range(2):
            async with (
                self.db.tx(timeout=timedelta(seconds=60)) as transaction,
                transaction.batch_() as batcher,
            ):
                for end_user_id, response_cost in sorted(transactions.items()):
                    batcher.litellm_endusertable.upsert(
                        where={"user_id": end_user_id},
                        data={
                            "create": {"user_id": end_user_id, "spend": response_cost, "blocked": False},
                            "update": {"spend": {"increment": response_cost}},
                        },
                    )
        rows = {
            r.user_id: r
            for r in await self.db.litellm_endusertable.find_many(where={"user_id": {"in": [existing, fresh]}})
        }
        self.assertEqual(rows[existing].spend, 2.0)
        self.assertEqual(rows[fresh].spend, 0.5)
        self.assertFalse(rows[fresh].blocked)
        got = await self.db.litellm_endusertable.find_unique(
            where={"user_id": existing}, include={"litellm_budget_table": True, "object_permission": True}
        )
        self.assertEqual(
            (got.alias, got.litellm_budget_table.max_budget, got.object_permission), ("ü-alias", 9.0, None)
        )
        by_budget = await self.db.litellm_endusertable.find_many(where={"budget_id": {"in": [budget.budget_id]}})
        self.assertEqual([r.user_id for r in by_budget], [existing])

    async def test_duplicate_end_user_message(self):
        # customer_endpoints.new_end_user matches this text to answer 400
        end_user = uid("enduser")
        self.cleanup_where("litellm_endusertable", {"user_id": end_user})
        await self.db.litellm_endusertable.create(
            data={"user_id": end_user}, include={"litellm_budget_table": True, "object_permission": True}
        )
        with self.assertRaises(prisma.errors.UniqueViolationError) as caught:
            await self.db.litellm_endusertable.create(
                data={"user_id": end_user}, include={"litellm_budget_table": True, "object_permission": True}
            )
        self.assertIn("Unique constraint failed on the fields: (`user_id`)", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
