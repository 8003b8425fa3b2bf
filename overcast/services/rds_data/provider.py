"""The RDS Data API (rds-data): SQL over HTTPS for Aurora clusters whose HTTP endpoint is
enabled, answered by the cluster's writer engine (overcast/services/rds). The caller names the
cluster by ARN and a Secrets Manager secret whose JSON holds the database user's `username`
and `password`; Overcast reads it and connects as that user, as AWS does.

A transaction (BeginTransaction) is an open session on the writer kept under its id until it
is committed or rolled back, or for three minutes without a call using it (AWS's timeout),
after which it is rolled back. Sessions live in memory: an Overcast restart ends them, as a
database restart ends AWS's."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.rds_data import values as v
from overcast.services.rds_data.engine import MySQLSession, PostgresSession, Result, Session

#: A transaction that no call uses for this long is rolled back (AWS: three minutes).
IDLE_SECONDS = 180.0
#: Nor may one run longer than a day.
MAX_SECONDS = 86400.0
#: Idle sessions kept per engine, user and database, and for how long.
POOL_PER_KEY = 8
POOL_IDLE_SECONDS = 60.0
#: The most a result may hold (AWS: 1 MiB of response).
MAX_RESULT_BYTES = 1 << 20


@dataclass
class Transaction:
    session: Session
    cluster_arn: str
    secret_arn: str
    started: float = field(default_factory=time.monotonic)
    used: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


def not_enabled(arn: str) -> ServiceError:
    return ServiceError("HttpEndpointNotEnabledException", f"HttpEndpoint is not enabled for resource {arn}")


def transaction_not_found(transaction_id: str) -> ServiceError:
    return ServiceError("TransactionNotFoundException", f"Transaction {transaction_id} is not found", 404)


class Provider(BaseProvider):
    service = "rds-data"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.transactions: dict[str, Transaction] = {}
        #: Idle sessions by (engine, its process, port, user, password digest, database).
        self.pool: dict[tuple, list[tuple[Session, float]]] = {}
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            open_ones = [t.session for t in self.transactions.values()]
            open_ones += [s for idle in self.pool.values() for s, _ in idle]
            self.transactions.clear()
            self.pool.clear()
        for session in open_ones:
            session.close()

    def reset(self) -> None:
        self.close()

    # -- the cluster, the secret, a session ------------------------------------------------------

    def _writer(self, context: RequestContext, resource_arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The cluster the ARN names (its HTTP endpoint enabled) and its writer instance's row."""
        arn = parse_arn(resource_arn) if resource_arn.startswith("arn:") else None
        if arn is None or arn.service != "rds" or not arn.resource.startswith("cluster:"):
            raise v.bad_request(f"Invalid resource ARN: {resource_arn}")
        rds = self.runtime.provider("rds")
        scope = rds.scope_of(context)
        if arn.account != context.account or (arn.region and arn.region != context.region):
            raise not_enabled(resource_arn)
        cluster = rds.clusters.get(scope, arn.resource[len("cluster:") :].lower())
        if cluster is None or not cluster["desc"].get("HttpEndpointEnabled"):
            raise not_enabled(resource_arn)
        if cluster["desc"].get("Status") == "stopped":
            raise ServiceError(
                "InvalidResourceStateException", f"The DB cluster {resource_arn} is stopped.", 400
            )
        writer = cluster.get("writer")
        instance = rds.instances.get(scope, writer) if writer else None
        if instance is None:
            raise ServiceError("DatabaseNotFoundException", "The DB cluster doesn't have a DB instance.", 404)
        if instance["desc"].get("DBInstanceStatus") not in ("available", "backing-up", "modifying"):
            raise ServiceError(
                "DatabaseUnavailableException",
                f"The DB cluster's writer instance is {instance['desc'].get('DBInstanceStatus')}.",
                504,
            )
        return cluster, instance

    def _credentials(self, context: RequestContext, secret_arn: str) -> tuple[str, str]:
        manager = self.runtime.provider("secretsmanager")
        try:
            value = manager.get_secret_value(context, {"SecretId": secret_arn})
        except ServiceError as exc:
            raise ServiceError(
                "SecretsErrorException", f"Error fetching secret {secret_arn} : {exc.message}"
            ) from None
        try:
            document = json.loads(value.get("SecretString") or "")
            return str(document["username"]), str(document["password"])
        except (ValueError, KeyError, TypeError):
            raise ServiceError(
                "InvalidSecretException",
                f"The secret {secret_arn} must be a JSON object with username and password.",
            ) from None

    def _open(
        self, context: RequestContext, resource_arn: str, secret_arn: str, database: str | None
    ) -> tuple[Session, tuple]:
        """A session on the cluster's writer as the secret's user: an idle one from the pool
        (sessions are reused across calls, as the Data API pools its connections), else new.
        The pool is per engine process, so a restarted or failed-over writer gets new ones."""
        cluster, instance = self._writer(context, resource_arn)
        user, password = self._credentials(context, secret_arn)
        engine = cluster["desc"]["Engine"]
        database = (
            database or cluster["desc"].get("DatabaseName") or ("postgres" if "postgres" in engine else None)
        )
        rds = self.runtime.provider("rds")
        digest = hashlib.sha256(password.encode()).hexdigest()
        key = (instance["key"], rds.supervisor.pid(instance["key"]), instance["port"], user, digest, database)
        with self.lock:
            idle = self.pool.get(key)
            if idle:
                return idle.pop()[0], key
        if "postgres" in engine:
            return PostgresSession(instance["port"], user, password, database or "postgres"), key
        return MySQLSession(instance["port"], user, password, database), key

    def _release(self, session: Session, key: tuple) -> None:
        if not session.idle():
            session.close()
            return
        with self.lock:
            idle = self.pool.setdefault(key, [])
            if len(idle) < POOL_PER_KEY:
                idle.append((session, time.monotonic()))
                return
        session.close()

    def _sweep_pool(self) -> None:
        now = time.monotonic()
        closing = []
        with self.lock:
            for key in list(self.pool):
                keep = [(s, at) for s, at in self.pool[key] if now - at < POOL_IDLE_SECONDS]
                closing += [s for s, at in self.pool[key] if now - at >= POOL_IDLE_SECONDS]
                if keep:
                    self.pool[key] = keep
                else:
                    del self.pool[key]
        for session in closing:
            session.close()

    def _sweep(self) -> None:
        now = time.monotonic()
        with self.lock:
            stale = [
                key
                for key, t in self.transactions.items()
                if not t.lock.locked() and (now - t.used > IDLE_SECONDS or now - t.started > MAX_SECONDS)
            ]
            ended = [self.transactions.pop(key) for key in stale]
        for transaction in ended:
            try:
                transaction.session.rollback()
            except ServiceError:
                pass
            transaction.session.close()

    def _transaction(self, transaction_id: str, resource_arn: str) -> Transaction:
        self._sweep()
        with self.lock:
            transaction = self.transactions.get(transaction_id)
        if transaction is None or transaction.cluster_arn != resource_arn:
            raise transaction_not_found(transaction_id)
        return transaction

    def _run(
        self,
        context: RequestContext,
        params: dict[str, Any],
        work: Any,
        *,
        database: str | None = None,
    ) -> Any:
        """Runs work(session) in the named transaction, or in a session of its own that is closed
        after (autocommit)."""
        if params.get("transactionId"):
            # The secret is checked as on every call, the cluster too.
            self._writer(context, params["resourceArn"])
            transaction = self._transaction(params["transactionId"], params["resourceArn"])
            with transaction.lock:
                transaction.used = time.monotonic()
                try:
                    return work(transaction.session)
                finally:
                    transaction.used = time.monotonic()
        self._sweep_pool()
        session, key = self._open(
            context, params["resourceArn"], params["secretArn"], database or params.get("database")
        )
        try:
            result = work(session)
        except BaseException:
            session.close()
            raise
        self._release(session, key)
        return result

    # -- operations ------------------------------------------------------------------------------

    def execute_statement(self, context: RequestContext, params: dict) -> dict:
        sql = params["sql"]
        if not sql.strip():
            raise v.bad_request("SQL statement must not be empty.")
        values, types = v.parameters(params.get("parameters"))
        metadata = bool(params.get("includeResultMetadata"))
        as_json = params.get("formatRecordsAs") == "JSON"
        result: Result = self._run(
            context, params, lambda s: s.execute(sql, values, types, metadata or as_json)
        )
        return self._shape(result, params, metadata, as_json)

    def _shape(self, result: Result, params: dict, metadata: bool, as_json: bool) -> dict:
        shaper = v.Shaper(params.get("resultSetOptions"))
        out: dict[str, Any] = {"numberOfRecordsUpdated": result.updated, "generatedFields": result.generated}
        if result.returns_rows:
            flags = result.json_columns or [False] * len(result.rows[0] if result.rows else [])
            if as_json:
                names = [c["label"] for c in result.columns]
                records = [
                    {
                        name: shaper.json_value(value, flags[i])
                        for i, (name, value) in enumerate(zip(names, row, strict=False))
                    }
                    for row in result.rows
                ]
                text = json.dumps(records, separators=(",", ":"))
                if len(text) > MAX_RESULT_BYTES:
                    raise v.bad_request("Database response exceeded size limit")
                out["formattedRecords"] = text
            else:
                out["records"] = [
                    [
                        shaper.field(value, flags[i] if i < len(flags) else False)
                        for i, value in enumerate(row)
                    ]
                    for row in result.rows
                ]
                if sum(len(str(r)) for r in result.rows) > MAX_RESULT_BYTES:
                    raise v.bad_request("Database returned more than the allowed response size limit")
            if metadata:
                out["columnMetadata"] = result.columns
        return out

    def batch_execute_statement(self, context: RequestContext, params: dict) -> dict:
        sql = params["sql"]
        if not sql.strip():
            raise v.bad_request("SQL statement must not be empty.")
        sets = params.get("parameterSets") or [[]]
        prepared = [v.parameters(one) for one in sets]

        def work(session: Session) -> list[dict[str, Any]]:
            own = not params.get("transactionId")
            if own:
                session.begin()
            try:
                results = []
                for values, types in prepared:
                    result = session.execute(sql, values, types, False)
                    results.append({"generatedFields": result.generated})
                if own:
                    session.commit()
                return results
            except BaseException:
                if own:
                    try:
                        session.rollback()
                    except ServiceError:
                        pass
                raise

        return {"updateResults": self._run(context, params, work)}

    def begin_transaction(self, context: RequestContext, params: dict) -> dict:
        self._sweep()
        session, _ = self._open(context, params["resourceArn"], params["secretArn"], params.get("database"))
        try:
            session.begin()
        except BaseException:
            session.close()
            raise
        transaction_id = base64.b64encode(secrets.token_bytes(138)).decode()
        with self.lock:
            self.transactions[transaction_id] = Transaction(
                session, params["resourceArn"], params["secretArn"]
            )
        return {"transactionId": transaction_id}

    def _end(self, context: RequestContext, params: dict, commit: bool) -> str:
        self._writer(context, params["resourceArn"])
        transaction = self._transaction(params["transactionId"], params["resourceArn"])
        with transaction.lock:
            with self.lock:
                if self.transactions.pop(params["transactionId"], None) is None:
                    raise transaction_not_found(params["transactionId"])
            try:
                if commit:
                    transaction.session.commit()
                else:
                    transaction.session.rollback()
            finally:
                transaction.session.close()
        return "Transaction Committed" if commit else "Rollback Complete"

    def commit_transaction(self, context: RequestContext, params: dict) -> dict:
        return {"transactionStatus": self._end(context, params, True)}

    def rollback_transaction(self, context: RequestContext, params: dict) -> dict:
        return {"transactionStatus": self._end(context, params, False)}

    def execute_sql(self, context: RequestContext, params: dict) -> dict:
        """The deprecated call: several statements separated by semicolons, each result in the
        older Value shape, run in one session."""
        statements = v.split_statements(params["sqlStatements"])
        if not statements:
            raise v.bad_request("SQL statement must not be empty.")
        request = {"resourceArn": params["dbClusterOrInstanceArn"], "secretArn": params["awsSecretStoreArn"]}

        def work(session: Session) -> list[dict[str, Any]]:
            out = []
            for statement in statements:
                result = session.execute(statement, {}, {}, True)
                entry: dict[str, Any] = {"numberOfRecordsUpdated": result.updated}
                if result.returns_rows:
                    types = [c["type"] for c in result.columns]
                    entry["resultFrame"] = {
                        "resultSetMetadata": {
                            "columnCount": len(result.columns),
                            "columnMetadata": result.columns,
                        },
                        "records": [
                            {"values": [v.legacy_value(x, types[i]) for i, x in enumerate(row)]}
                            for row in result.rows
                        ],
                    }
                out.append(entry)
            return out

        return {"sqlStatementResults": self._run(context, request, work, database=params.get("database"))}
