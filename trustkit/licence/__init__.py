"""Electronic licences (GB/T 36901–36905): identifiers and holder codes, issuance to sealed OFD,
verification, and scan-to-show QR payloads."""

from __future__ import annotations

from trustkit.licence.codes import (
    USCC,
    IDNumber,
    InvalidCodeError,
    LicenceIdentifier,
    id_check_char,
    make_id_number,
    make_uscc,
    mod37_36_check,
    uscc_check_char,
    validate_id_number,
    validate_uscc,
)
from trustkit.licence.batch import issue_batch, read_csv_records
from trustkit.licence.issue import build_licence, issue_licence
from trustkit.licence.model import (
    HOLDER_ID_TYPES,
    LICENCE_XML_NAMESPACE,
    HolderIdType,
    LicenceRecord,
)
from trustkit.licence.qr import (
    ExpiredQRError,
    QrClaims,
    QrVerification,
    TrustList,
    TrustListEntry,
    UntrustedIssuerError,
    load_trust_list,
    make_qr_payload,
    make_trust_list,
    qr_png,
    qr_svg,
    verify_qr_payload,
)
from trustkit.licence.status import (
    StatusEntry,
    StatusList,
    load_status_list,
    make_status_list,
)
from trustkit.licence.template import Template, load_template
from trustkit.licence.verify import DirectoryVerification, LicenceVerification, verify_directory, verify_licence

__all__ = [
    "DirectoryVerification",
    "LicenceVerification",
    "Template",
    "build_licence",
    "issue_batch",
    "issue_licence",
    "load_template",
    "read_csv_records",
    "verify_directory",
    "verify_licence",
    "HOLDER_ID_TYPES",
    "LICENCE_XML_NAMESPACE",
    "USCC",
    "ExpiredQRError",
    "HolderIdType",
    "IDNumber",
    "InvalidCodeError",
    "LicenceIdentifier",
    "LicenceRecord",
    "QrClaims",
    "QrVerification",
    "StatusEntry",
    "StatusList",
    "TrustList",
    "TrustListEntry",
    "UntrustedIssuerError",
    "id_check_char",
    "load_status_list",
    "load_trust_list",
    "make_id_number",
    "make_qr_payload",
    "make_status_list",
    "make_trust_list",
    "make_uscc",
    "mod37_36_check",
    "qr_png",
    "qr_svg",
    "uscc_check_char",
    "validate_id_number",
    "validate_uscc",
    "verify_qr_payload",
]
