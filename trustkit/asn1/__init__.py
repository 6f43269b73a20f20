"""ASN.1 structures (asn1crypto spec classes), one module per standard.  Structure only, no crypto."""
