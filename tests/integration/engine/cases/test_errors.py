"""Errors: the prisma.errors classes and message texts LiteLLM branches on, and the
missing-row semantics of prisma-client-py.

Covers:
  * UniqueViolationError (P2002) on a primary key, a compound key, a secondary unique column,
    an update into a taken value and a create_many without skip_duplicates; its text contains
    "unique constraint" (repositories/base_repository.py _is_unique_violation,
    access_group_endpoints) and the fields (customer_endpoints.new_end_user);
  * ForeignKeyViolationError (P2003) with "Foreign key constraint failed on the field: `<fk>
    (index)`" for a create with a missing parent (utils.py insert_data, management_helpers/
    user_invitation.py create_invitation_for_user) and for deleting a parent that RESTRICTs;
  * missing rows: ``find_unique``/``find_first`` return None, ``find_unique_or_raise``/
    ``find_first_or_raise`` raise RecordNotFoundError, ``update``/``delete`` return None (the
    engine answers P2025 and prisma-client-py swallows it), ``update_many``/``delete_many`` return
    0, a nested ``connect`` to a missing row in a create raises RecordNotFoundError
    (managed_file_content_repository, config_override_endpoints, mcp_management_endpoints);
  * an unknown field raising FieldNotFoundError naming the field (the DataError family
    unit_of_work / reset_budget_job guard against);
  * raw query failures: RawQueryError (P2010) whose ``meta["code"]`` is the SQLSTATE
    (PrismaDBExceptionHandler.postgres_sqlstate), for a syntax error, a division by zero and a
    unique violation in raw SQL; and the client staying usable after every error.
"""

from __future__ import annotations

import json
import os
import sys
import unittest
from datetime import datetime, timedelta, timezone

import prisma.errors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, close_shared_client, hash_token, postgres_sqlstate, uid

tearDownModule = close_shared_client  # disconnect the module's shared client


class Errors(EngineTestCase):
    async def test_unique_violations(self):
        # repositories/base_repository.py unique-violation check; customer/access_group endpoints
        user = await self.make_user(sso_user_id=uid("sso"))
        # primary key
        with self.assertRaises(prisma.errors.UniqueViolationError) as pk:
            await self.db.litellm_usertable.create(data={"user_id": user.user_id, "models": []})
        self.assertIn("unique constraint", str(pk.exception).lower())
        self.assertEqual(pk.exception.code, "P2002")
        # secondary unique column, via create and via update
        other = uid("user")
        self.cleanup_where("litellm_usertable", {"user_id": other})
        with self.assertRaises(prisma.errors.UniqueViolationError):
            await self.db.litellm_usertable.create(
                data={"user_id": other, "models": [], "sso_user_id": user.sso_user_id}
            )
        second = await self.make_user()
        with self.assertRaises(prisma.errors.UniqueViolationError):
            await self.db.litellm_usertable.update(
                where={"user_id": second.user_id}, data={"sso_user_id": user.sso_user_id}
            )
        # compound primary key
        team = await self.make_team()
        self.cleanup_where("litellm_teammembership", {"team_id": team.team_id})
        await self.db.litellm_teammembership.create(data={"user_id": user.user_id, "team_id": team.team_id})
        with self.assertRaises(prisma.errors.UniqueViolationError):
            await self.db.litellm_teammembership.create(data={"user_id": user.user_id, "team_id": team.team_id})
        # create_many without skip_duplicates
        names = [uid("param"), uid("param")]
        self.cleanup_where("litellm_config", {"param_name": {"in": names}})
        await self.db.litellm_config.create(data={"param_name": names[1]})
        with self.assertRaises(prisma.errors.UniqueViolationError):
            await self.db.litellm_config.create_many(data=[{"param_name": n} for n in names])
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": names}}), 1)
        self.assertEqual(
            await self.db.litellm_config.create_many(data=[{"param_name": n} for n in names], skip_duplicates=True), 1
        )

    async def test_foreign_key_violations(self):
        # a key pointing at a budget that does not exist
        missing_budget = uid("budget")
        token = hash_token("sk-" + uid())
        self.cleanup_where("litellm_verificationtoken", {"token": token})
        with self.assertRaises(prisma.errors.ForeignKeyViolationError) as key_fk:
            await self.db.litellm_verificationtoken.create(data={"token": token, "budget_id": missing_budget})
        self.assertIn(
            "Foreign key constraint failed on the field: `LiteLLM_VerificationToken_budget_id_fkey (index)`",
            str(key_fk.exception),
        )
        self.assertEqual(key_fk.exception.code, "P2003")
        # user_invitation.create_invitation_for_user matches this prefix
        now = datetime.now(timezone.utc)
        with self.assertRaises(prisma.errors.ForeignKeyViolationError) as invite_fk:
            await self.db.litellm_invitationlink.create(
                data={
                    "user_id": uid("user"),
                    "created_at": now,
                    "expires_at": now + timedelta(days=7),
                    "created_by": uid("user"),
                    "updated_at": now,
                    "updated_by": uid("user"),
                }
            )
        self.assertIn("Foreign key constraint failed on the field", str(invite_fk.exception))
        # deleting a budget an organization still references (ON DELETE RESTRICT)
        budget = await self.make_budget()
        await self.make_org(budget.budget_id)
        with self.assertRaises(prisma.errors.ForeignKeyViolationError) as restrict:
            await self.db.litellm_budgettable.delete(where={"budget_id": budget.budget_id})
        self.assertIn("LiteLLM_OrganizationTable_budget_id_fkey", str(restrict.exception))
        self.assertIsNotNone(await self.db.litellm_budgettable.find_unique(where={"budget_id": budget.budget_id}))

    async def test_missing_rows(self):
        # managed_file_content_repository.delete, config_override_endpoints, mcp_management_endpoints
        # (RecordNotFoundError)
        missing = uid("missing")
        self.assertIsNone(await self.db.litellm_config.find_unique(where={"param_name": missing}))
        self.assertIsNone(await self.db.litellm_config.find_first(where={"param_name": missing}))
        with self.assertRaises(prisma.errors.RecordNotFoundError):
            await self.db.litellm_config.find_unique_or_raise(where={"param_name": missing})
        with self.assertRaises(prisma.errors.RecordNotFoundError):
            await self.db.litellm_config.find_first_or_raise(where={"param_name": missing})
        self.assertIsNone(
            await self.db.litellm_config.update(where={"param_name": missing}, data={"reload_revision": 1})
        )
        self.assertIsNone(await self.db.litellm_config.delete(where={"param_name": missing}))
        self.assertEqual(
            await self.db.litellm_config.update_many(where={"param_name": missing}, data={"reload_revision": 1}), 0
        )
        self.assertEqual(await self.db.litellm_config.delete_many(where={"param_name": missing}), 0)
        self.assertEqual(await self.db.litellm_config.find_many(where={"param_name": missing}), [])
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": missing}), 0)
        # present rows through the *_or_raise forms
        present = uid("param")
        self.cleanup_where("litellm_config", {"param_name": present})
        await self.db.litellm_config.create(data={"param_name": present, "param_value": json.dumps([1])})
        self.assertEqual(
            (await self.db.litellm_config.find_unique_or_raise(where={"param_name": present})).param_value, [1]
        )
        self.assertEqual(
            (await self.db.litellm_config.find_first_or_raise(where={"param_name": present})).param_name, present
        )
        # a nested connect to a missing row
        team = await self.make_team()
        user_id = uid("user")
        self.cleanup_where("litellm_teammembership", {"team_id": team.team_id})
        with self.assertRaises(prisma.errors.RecordNotFoundError):
            await self.db.litellm_teammembership.create(
                data={
                    "user_id": user_id,
                    "team_id": team.team_id,
                    "litellm_budget_table": {"connect": {"budget_id": uid("budget")}},
                }
            )
        self.assertEqual(await self.db.litellm_teammembership.count(where={"team_id": team.team_id}), 0)

    async def test_unknown_field(self):
        # unit_of_work narrow updates (#27730): an input field the schema lacks must raise, not be dropped
        with self.assertRaises(prisma.errors.FieldNotFoundError) as where_err:
            await self.db.litellm_config.find_first(where={"bad_field": "x"})  # type: ignore[typeddict-unknown-key]
        self.assertIn("bad_field", str(where_err.exception))
        name = uid("param")
        self.cleanup_where("litellm_config", {"param_name": name})
        with self.assertRaises(prisma.errors.FieldNotFoundError) as data_err:
            await self.db.litellm_config.create(data={"param_name": name, "not_a_column": 1})  # type: ignore[typeddict-unknown-key]
        self.assertIn("not_a_column", str(data_err.exception))
        self.assertIsNone(await self.db.litellm_config.find_unique(where={"param_name": name}))

    async def test_raw_query_errors(self):
        # exception_handler.PrismaDBExceptionHandler.postgres_sqlstate on raw query failures
        cases = [
            ("SELEC 1", (), "42601"),
            ("SELECT 1/0 AS x", (), "22012"),
            ("SELECT $1::int AS x", ("not-a-number",), "22P02"),
        ]
        for sql, args, sqlstate in cases:
            with self.assertRaises(prisma.errors.RawQueryError) as caught:
                await self.db.query_raw(sql, *args)
            self.assertEqual(caught.exception.code, "P2010", sql)
            self.assertEqual(postgres_sqlstate(caught.exception), sqlstate, (sql, caught.exception.meta))
        name = uid("param")
        self.cleanup_where("litellm_config", {"param_name": name})
        await self.db.execute_raw('INSERT INTO "LiteLLM_Config" (param_name) VALUES ($1)', name)
        with self.assertRaises(prisma.errors.PrismaError) as dup:
            await self.db.execute_raw('INSERT INTO "LiteLLM_Config" (param_name) VALUES ($1)', name)
        self.assertEqual(postgres_sqlstate(dup.exception), "23505", dup.exception)
        self.assertEqual(await self.db.query_raw("SELECT 1 AS still_fine"), [{"still_fine": 1}])


if __name__ == "__main__":
    unittest.main()
