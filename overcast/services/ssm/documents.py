"""SSM documents: CreateDocument, versions (UpdateDocument, $LATEST/$DEFAULT, version names,
UpdateDocumentDefaultVersion), reads (Get/Describe/List, ListDocumentVersions), DeleteDocument,
sharing (Describe/ModifyDocumentPermission) and the change-template review workflow
(UpdateDocumentMetadata, ListDocumentMetadataHistory). AWS-owned documents are read from
`awsdocuments` and never stored."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn, parse_arn
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import awsdocuments, doccontent
from overcast.store import scope

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

AMAZON = "Amazon"
MAX_SHARED_ACCOUNTS = 20
MAX_VERSIONS = 1000
_RESERVED_PREFIX = re.compile(r"^(aws|amazon|amzn)", re.IGNORECASE)
_VERSION = re.compile(r"^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$")
_ACCOUNT_OR_ALL = re.compile(r"(?i)all|[0-9]{12}")
_SHARED_VERSION = re.compile(r"[$]LATEST|[$]DEFAULT|[$]ALL")
#: Scope of documents shared with every account ("All"), per region.
_PUBLIC = "public"


def no_document() -> ServiceError:
    return ServiceError("InvalidDocument", "The specified document does not exist.")


def bad_version() -> ServiceError:
    return ServiceError("InvalidDocumentVersion", "The document version is not valid or does not exist.")


def _bad_permission_type(value: str) -> ServiceError:
    return ServiceError(
        "InvalidPermissionType",
        f"1 validation error detected: Value '{value}' at 'permissionType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Share]",
    )


def _bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The specified token isn't valid.")


def _version_key(name: str, version: int) -> str:
    return f"{name} {version:010d}"


def _aws_document(region: str, name: str) -> tuple[dict, dict] | None:
    """(document, version) records of an AWS-owned document, built like stored ones."""
    shipped = awsdocuments.DOCUMENTS.get(name)
    if shipped is None:
        return None
    document_type, body, target_type = shipped
    content = doccontent.render(body, "JSON")
    parsed = doccontent.parse(content, "JSON", document_type)
    document: dict[str, Any] = {
        "Name": name,
        "Owner": AMAZON,
        "DocumentType": document_type,
        "TargetType": target_type,
        "LatestVersion": 1,
        "DefaultVersion": 1,
        "tags": {},
        "shared": {},
        "region": region,
    }
    version = _version_record(content, "JSON", parsed, 1, None, awsdocuments.CREATED)
    return document, version


def _version_record(
    content: str,
    document_format: str,
    parsed: doccontent.Parsed,
    number: int,
    version_name: str | None,
    now: float,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "Content": content,
        "DocumentFormat": document_format,
        "DocumentVersion": number,
        "Hash": doccontent.sha256(content),
        "CreatedDate": now,
        "SchemaVersion": parsed.schema_version,
        "Description": parsed.description,
        "Parameters": parsed.parameters,
        "PlatformTypes": list(parsed.platforms),
    }
    if version_name:
        record["VersionName"] = version_name
    return record


class DocumentMixin:
    # -- lookups -----------------------------------------------------------------------------

    def _document(self: Provider, context: RequestContext, name: str) -> tuple[str, dict]:  # type: ignore[misc]
        """(scope, document record) of a document the caller may read: its own, AWS's, or
        one shared with it (named by ARN), or AWS's InvalidDocument."""
        owner_account = context.account
        if name.startswith("arn:"):
            arn = parse_arn(name)
            if arn is None or not arn.resource.startswith("document/"):
                raise no_document()
            owner_account, name = arn.account or context.account, arn.resource[len("document/") :]
        shipped = _aws_document(context.region, name)
        if shipped is not None:
            return "", shipped[0]
        where = scope(owner_account, context.region)
        record = self.documents.get(where, name)
        if record is None:
            raise no_document()
        if owner_account != context.account and not self._shared_with(record, context.account):
            raise no_document()
        return where, record

    @staticmethod
    def _shared_with(record: dict, account: str) -> bool:
        shared = record.get("shared") or {}
        return account in shared or "all" in shared

    def _own_document(self: Provider, context: RequestContext, name: str) -> tuple[str, dict]:  # type: ignore[misc]
        where, record = self._document(context, name)
        if not where or record["Owner"] != context.account:
            if not where:
                raise ServiceError("InvalidDocumentOperation", "You can't modify a document owned by Amazon.")
            raise no_document()
        return where, record

    def _version(  # type: ignore[misc]
        self: Provider, where: str, document: dict, version: str | None, version_name: str | None = None
    ) -> dict:
        """The version record a DocumentVersion / VersionName selects (default: $DEFAULT)."""
        if not where:
            if version not in (None, "$LATEST", "$DEFAULT", "1") or version_name:
                raise bad_version()
            shipped = _aws_document(document["region"], document["Name"])
            assert shipped is not None
            return shipped[1]
        name = document["Name"]
        if version_name is not None and version is None:
            for _, record in self.document_versions.scan(where, prefix=f"{name} "):
                if record.get("VersionName") == version_name:
                    return record
            raise bad_version()
        if version is None or version == "$DEFAULT":
            number = document["DefaultVersion"]
        elif version == "$LATEST":
            number = document["LatestVersion"]
        elif _VERSION.match(version):
            number = int(version)
        else:
            raise bad_version()
        record = self.document_versions.get(where, _version_key(name, number))
        if record is None or (version_name is not None and record.get("VersionName") != version_name):
            raise bad_version()
        return record

    def _read_version(  # type: ignore[misc]
        self: Provider, where: str, document: dict, version: str | None, version_name: str | None
    ) -> dict:
        """_version for GetDocument/DescribeDocument, which answer a name and version that
        select nothing as a document that does not exist."""
        try:
            return self._version(where, document, version, version_name)
        except ServiceError:
            raise no_document() from None

    def document_for_run(  # type: ignore[misc]
        self: Provider, context: RequestContext, name: str, version: str | None = None
    ) -> tuple[dict, dict]:
        """(document, version) records a command, association or automation runs."""
        where, document = self._document(context, name)
        return document, self._version(where, document, version)

    # -- description -------------------------------------------------------------------------

    def _describe(self: Provider, context: RequestContext, document: dict, version: dict) -> dict:  # type: ignore[misc]
        out: dict[str, Any] = {
            "Hash": version["Hash"],
            "HashType": "Sha256",
            "Name": document["Name"],
            "Owner": document["Owner"],
            "CreatedDate": version["CreatedDate"],
            "Status": "Active",
            "DocumentVersion": str(version["DocumentVersion"]),
            "Parameters": version["Parameters"],
            "PlatformTypes": version["PlatformTypes"],
            "DocumentType": document["DocumentType"],
            "LatestVersion": str(document["LatestVersion"]),
            "DefaultVersion": str(document["DefaultVersion"]),
            "DocumentFormat": version["DocumentFormat"],
            "Tags": [{"Key": k, "Value": v} for k, v in (document.get("tags") or {}).items()],
        }
        optional = {
            "Description": version.get("Description") or None,
            "SchemaVersion": version.get("SchemaVersion"),
            "VersionName": version.get("VersionName"),
            "DisplayName": document.get("DisplayName"),
            "TargetType": document.get("TargetType"),
            "Requires": version.get("Requires"),
            "AttachmentsInformation": [{"Name": a["Name"]} for a in version.get("Attachments") or []] or None,
            "Author": document.get("Author"),
            "ApprovedVersion": document.get("ApprovedVersion"),
            "PendingReviewVersion": document.get("PendingReviewVersion"),
            "ReviewStatus": version.get("ReviewStatus"),
            "ReviewInformation": version.get("ReviewInformation"),
        }
        out.update({key: value for key, value in optional.items() if value is not None})
        return out

    # -- CreateDocument ----------------------------------------------------------------------

    def create_document(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["Name"]
        if _RESERVED_PREFIX.match(name):
            raise ServiceError(
                "ValidationException",
                "Document name cannot start with AWS, Amazon, or AMZN (case-insensitive).",
            )
        document_type = params.get("DocumentType") or "Command"
        document_format = params.get("DocumentFormat") or "JSON"
        parsed = doccontent.parse(params["Content"], document_format, document_type)
        if document_type in doccontent.NEEDS_REQUIRES and not params.get("Requires"):
            raise doccontent.invalid_content(f"{document_type} documents require the Requires parameter.")
        tags = self._checked_tags(params.get("Tags"))
        where = self._scope(context)
        now = time.time()
        with self.store.transaction():
            if self.documents.get(where, name) is not None or name in awsdocuments.DOCUMENTS:
                raise ServiceError("DocumentAlreadyExists", "The specified document already exists.")
            version = _version_record(
                params["Content"], document_format, parsed, 1, params.get("VersionName"), now
            )
            version.update(self._attachments(context, params))
            if params.get("Requires"):
                version["Requires"] = params["Requires"]
            document: dict[str, Any] = {
                "Name": name,
                "Owner": context.account,
                "DocumentType": document_type,
                "LatestVersion": 1,
                "DefaultVersion": 1,
                "next": 2,
                "tags": tags,
                "shared": {},
                "Author": context.principal_arn,
            }
            for member in ("DisplayName", "TargetType"):
                if params.get(member):
                    document[member] = params[member]
            if document_type == "Automation.ChangeTemplate":
                version["ReviewStatus"] = "NOT_REVIEWED"
            self.documents.put(where, name, document)
            self.document_versions.put(where, _version_key(name, 1), version)
        return {"DocumentDescription": self._describe(context, document, version)}

    def _attachments(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Attachments a document names by S3 URL, read through S3 (name, size, sha256)."""
        sources = params.get("Attachments") or []
        found = []
        for source in sources:
            if source.get("Key") != "S3FileUrl":
                # SourceUrl (a folder) and AttachmentReference (another document's) are
                # recorded by name; their files are not fetched.
                if source.get("Name"):
                    found.append({"Name": source["Name"], "Url": (source.get("Values") or [""])[0]})
                continue
            for url in source.get("Values") or []:
                body = self._read_s3_url(context, url)
                file_name = source.get("Name") or url.rsplit("/", 1)[-1]
                found.append(
                    {"Name": file_name, "Size": len(body), "Hash": doccontent.sha256_bytes(body), "Url": url}
                )
        return {"Attachments": found} if found else {}

    def _read_s3_url(self: Provider, context: RequestContext, url: str) -> bytes:  # type: ignore[misc]
        match = re.match(r"^(?:s3://|https://s3[.a-z0-9-]*\.amazonaws\.com/)([^/]+)/(.+)$", url)
        if match is None:
            match = re.match(r"^https://([^/.]+)\.s3[.a-z0-9-]*\.amazonaws\.com/(.+)$", url)
        if match is None:
            raise doccontent.invalid_content(f"The attachment URL {url} is not a valid S3 URL.")
        try:
            return self.runtime.provider("s3").read_object(context.account, context.region, *match.groups())
        except ServiceError:
            raise ServiceError(
                "InvalidDocumentContent",
                f"The attachment {url} could not be found. Verify the URL and try again.",
            ) from None

    # -- UpdateDocument ----------------------------------------------------------------------

    def update_document(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            where, document = self._own_document(context, params["Name"])
            name = document["Name"]
            given = params.get("DocumentVersion")
            if given is not None and given != "$LATEST" and given != str(document["LatestVersion"]):
                raise bad_version()
            document_format = params.get("DocumentFormat") or "JSON"
            parsed = doccontent.parse(params["Content"], document_format, document["DocumentType"])
            content_hash = doccontent.sha256(params["Content"])
            version_name = params.get("VersionName")
            versions = [record for _, record in self.document_versions.scan(where, prefix=f"{name} ")]
            if any(record["Hash"] == content_hash for record in versions):
                raise ServiceError(
                    "DuplicateDocumentContent",
                    "The content of the association document matches another document. Change the content of "
                    "the document and try again.",
                )
            if version_name and any(record.get("VersionName") == version_name for record in versions):
                raise ServiceError(
                    "DuplicateDocumentVersionName", "The specified version name is a duplicate."
                )
            if len(versions) >= MAX_VERSIONS:
                raise ServiceError(
                    "DocumentVersionLimitExceeded",
                    f"The document has too many versions (limit {MAX_VERSIONS}).",
                )
            number = document.get("next", document["LatestVersion"] + 1)
            version = _version_record(
                params["Content"], document_format, parsed, number, version_name, time.time()
            )
            version.update(self._attachments(context, params))
            if document["DocumentType"] == "Automation.ChangeTemplate":
                version["ReviewStatus"] = "NOT_REVIEWED"
            document["LatestVersion"], document["next"] = number, number + 1
            for member in ("DisplayName", "TargetType"):
                if params.get(member):
                    document[member] = params[member]
            self.documents.put(where, name, document)
            self.document_versions.put(where, _version_key(name, number), version)
        return {"DocumentDescription": self._describe(context, document, version)}

    def update_document_default_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            where, document = self._own_document(context, params["Name"])
            version = self._version(where, document, params["DocumentVersion"])
            document["DefaultVersion"] = version["DocumentVersion"]
            self.documents.put(where, document["Name"], document)
        out = {"Name": document["Name"], "DefaultVersion": str(version["DocumentVersion"])}
        if version.get("VersionName"):
            out["DefaultVersionName"] = version["VersionName"]
        return {"Description": out}

    # -- reads -------------------------------------------------------------------------------

    def get_document(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, document = self._document(context, params["Name"])
        version = self._read_version(
            where, document, params.get("DocumentVersion"), params.get("VersionName")
        )
        stored_format = version["DocumentFormat"]
        # JSON is GetDocument's default format, whatever the document was written in.
        wanted = params.get("DocumentFormat") or ("TEXT" if stored_format == "TEXT" else "JSON")
        content = version["Content"]
        if wanted != stored_format:
            if "TEXT" in (wanted, stored_format):
                raise ServiceError(
                    "InvalidDocumentOperation", f"A {stored_format} document can't be returned as {wanted}."
                )
            content = doccontent.render(doccontent.load(content, stored_format), wanted)
        out: dict[str, Any] = {
            "Name": document["Name"],
            "CreatedDate": version["CreatedDate"],
            "DocumentVersion": str(version["DocumentVersion"]),
            "Status": "Active",
            "Content": content,
            "DocumentType": document["DocumentType"],
            "DocumentFormat": wanted,
        }
        for member in ("VersionName", "Requires", "ReviewStatus"):
            if version.get(member):
                out[member] = version[member]
        if document.get("DisplayName"):
            out["DisplayName"] = document["DisplayName"]
        if version.get("Attachments"):
            out["AttachmentsContent"] = [
                {key: a[key] for key in ("Name", "Size", "Hash", "Url") if key in a} | {"HashType": "Sha256"}
                for a in version["Attachments"]
            ]
        return out

    def describe_document(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, document = self._document(context, params["Name"])
        version = self._read_version(
            where, document, params.get("DocumentVersion"), params.get("VersionName")
        )
        return {"Document": self._describe(context, document, version)}

    def list_document_versions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, document = self._document(context, params["Name"])
        if where:
            versions = [
                record for _, record in self.document_versions.scan(where, prefix=f"{document['Name']} ")
            ]
        else:
            versions = [self._version(where, document, None)]

        def render(version: dict) -> dict:
            out = {
                "Name": document["Name"],
                "DocumentVersion": str(version["DocumentVersion"]),
                "CreatedDate": version["CreatedDate"],
                "IsDefaultVersion": version["DocumentVersion"] == document["DefaultVersion"],
                "DocumentFormat": version["DocumentFormat"],
                "Status": "Active",
            }
            for member in ("VersionName", "ReviewStatus"):
                if version.get(member):
                    out[member] = version[member]
            if document.get("DisplayName"):
                out["DisplayName"] = document["DisplayName"]
            return out

        return paginate_list(
            self.store, "ssm", "ListDocumentVersions", params, versions,
            bad_token=_bad_token, default_limit=50, render=render, bind=document["Name"],
        )  # fmt: skip

    def list_documents(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.ssm.docfilters import matcher

        accepts = matcher(context, params)
        rows = [row for row in self._visible_documents(context) if accepts(*row)]
        rows.sort(key=lambda row: row[1]["Name"])

        def render(row: tuple[str, dict, dict]) -> dict:
            _, document, version = row
            described = self._describe(context, document, version)
            keys = (
                "Name", "CreatedDate", "DisplayName", "Owner", "VersionName", "PlatformTypes", "DocumentVersion",
                "DocumentType", "SchemaVersion", "DocumentFormat", "TargetType", "Tags", "Requires",
                "ReviewStatus", "Author",
            )  # fmt: skip
            return {key: described[key] for key in keys if key in described}

        return paginate_list(
            self.store,
            "ssm",
            "ListDocuments",
            params,
            rows,
            bad_token=_bad_token,
            default_limit=50,
            render=render,
        )

    def _visible_documents(self: Provider, context: RequestContext) -> list[tuple[str, dict, dict]]:  # type: ignore[misc]
        """(where, document, default version) of every document the caller sees."""
        rows = []
        for name in awsdocuments.DOCUMENTS:
            shipped = _aws_document(context.region, name)
            assert shipped is not None
            rows.append(("", *shipped))
        where = self._scope(context)
        for _, document in self.documents.scan(where):
            rows.append((where, document, self._version(where, document, None)))
        for key, _ in self.document_shares.scan(self._scope(context)):
            owner, name = key.split("/", 1)
            rows.extend(self._shared_row(context, owner, name))
        for key, _ in self.document_shares.scan(scope(_PUBLIC, context.region)):
            owner, name = key.split("/", 1)
            if owner != context.account:
                rows.extend(self._shared_row(context, owner, name))
        return rows

    def _shared_row(self: Provider, context: RequestContext, owner: str, name: str) -> list:  # type: ignore[misc]
        where = scope(owner, context.region)
        document = self.documents.get(where, name)
        if document is None or not self._shared_with(document, context.account):
            return []
        return [(where, document, self._version(where, document, None))]

    # -- DeleteDocument ----------------------------------------------------------------------

    def delete_document(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            where, document = self._own_document(context, params["Name"])
            name = document["Name"]
            if params.get("DocumentVersion") is None and params.get("VersionName") is None:
                if self._document_in_use(context, name) and not params.get("Force"):
                    raise ServiceError(
                        "AssociatedInstances",
                        "You must disassociate a document from all managed nodes before you can delete it.",
                    )
                for key, _ in list(self.document_versions.scan(where, prefix=f"{name} ")):
                    self.document_versions.delete(where, key)
                for account in document.get("shared") or {}:
                    self.document_shares.delete(
                        self._share_scope(account, context.region), f"{context.account}/{name}"
                    )
                self.documents.delete(where, name)
                return {}
            version = self._read_version(
                where, document, params.get("DocumentVersion"), params.get("VersionName")
            )
            if version["DocumentVersion"] == document["DefaultVersion"]:
                raise ServiceError(
                    "InvalidDocumentOperation", "Default version of the document can't be deleted."
                )
            self.document_versions.delete(where, _version_key(name, version["DocumentVersion"]))
            remaining = [
                r["DocumentVersion"] for _, r in self.document_versions.scan(where, prefix=f"{name} ")
            ]
            document["LatestVersion"] = max(remaining)
            self.documents.put(where, name, document)
        return {}

    def _document_in_use(self: Provider, context: RequestContext, name: str) -> bool:  # type: ignore[misc]
        associations = getattr(self, "associations", None)
        if associations is None:
            return False
        return any(record.get("Name") == name for _, record in associations.scan(self._scope(context)))

    # -- sharing -----------------------------------------------------------------------------

    @staticmethod
    def _share_scope(account: str, region: str) -> str:
        return scope(_PUBLIC if account == "all" else account, region)

    def modify_document_permission(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params["PermissionType"] != "Share":
            raise _bad_permission_type(params["PermissionType"])
        given_add = params.get("AccountIdsToAdd") or []
        given_remove = params.get("AccountIdsToRemove") or []
        for member, given in (("accountIdsToAdd", given_add), ("accountIdsToRemove", given_remove)):
            for account in given:
                if not _ACCOUNT_OR_ALL.fullmatch(account):
                    raise ServiceError(
                        "ValidationException",
                        f"1 validation error detected: Value '[{account}]' at '{member}' failed to satisfy "
                        "constraint: Member must satisfy constraint: [Member must satisfy regular expression "
                        "pattern: (?i)all|[0-9]{12}]",
                    )
        adding = [account.lower() for account in given_add]
        removing = [account.lower() for account in given_remove]
        if ("all" in adding and len(adding) > 1) or ("all" in removing and len(removing) > 1):
            raise ServiceError(
                "DocumentPermissionLimit", "Accounts can either be all or a group of AWS accounts"
            )
        version = params.get("SharedDocumentVersion") or "$DEFAULT"
        if not _SHARED_VERSION.fullmatch(version):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{version}' at 'sharedDocumentVersion' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: ([$]LATEST|[$]DEFAULT|[$]ALL)",
            )
        with self.store.transaction():
            where, document = self._own_document(context, params["Name"])
            name = document["Name"]
            shared = dict(document.get("shared") or {})
            for account in adding:
                shared[account] = version
                self.document_shares.put(
                    self._share_scope(account, context.region), f"{context.account}/{name}", {}
                )
            for account in removing:
                if shared.pop(account, None) is not None:
                    self.document_shares.delete(
                        self._share_scope(account, context.region), f"{context.account}/{name}"
                    )
            if len([a for a in shared if a != "all"]) > MAX_SHARED_ACCOUNTS:
                raise ServiceError(
                    "DocumentPermissionLimit",
                    f"The document can be shared with at most {MAX_SHARED_ACCOUNTS} accounts.",
                )
            document["shared"] = shared
            # "All" is answered as it was given.
            all_as = next((a for a in given_add if a.lower() == "all"), document.get("allAs", "all"))
            document["allAs"] = all_as
            self.documents.put(where, name, document)
        return {}

    def describe_document_permission(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params["PermissionType"] != "Share":
            raise _bad_permission_type(params["PermissionType"])
        _, document = self._own_document(context, params["Name"])
        shared = document.get("shared") or {}
        # At most 20 accounts (or All): one page holds them all.
        accounts = sorted(shared)
        shown = {a: document.get("allAs", "all") if a == "all" else a for a in accounts}
        return {
            "AccountIds": [shown[a] for a in accounts],
            "AccountSharingInfoList": [
                {"AccountId": shown[a], "SharedDocumentVersion": shared[a]} for a in accounts
            ],
        }

    # -- reviews -----------------------------------------------------------------------------

    def update_document_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.ssm.reviews import apply_review

        with self.store.transaction():
            where, document = self._own_document(context, params["Name"])
            if document["DocumentType"] != "Automation.ChangeTemplate":
                raise ServiceError(
                    "InvalidDocumentOperation", "Document reviews are supported only for change templates."
                )
            version = self._version(where, document, params.get("DocumentVersion") or "$LATEST")
            apply_review(document, version, params["DocumentReviews"], context.principal_arn, time.time())
            self.documents.put(where, document["Name"], document)
            self.document_versions.put(
                where, _version_key(document["Name"], version["DocumentVersion"]), version
            )
        return {}

    def list_document_metadata_history(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, document = self._document(context, params["Name"])
        version = self._version(where, document, params.get("DocumentVersion"))
        responses = version.get("reviews") or []
        out: dict[str, Any] = {
            "Name": document["Name"],
            "DocumentVersion": str(version["DocumentVersion"]),
            "Metadata": {"ReviewerResponse": responses},
        }
        if document.get("Author"):
            out["Author"] = document["Author"]
        return out

    def _document_arn(self: Provider, context: RequestContext, name: str) -> str:  # type: ignore[misc]
        return build_arn("ssm", context.region, context.account, f"document/{name}")
