"""Triage: signatures, severity and clustering. Pure: reports in, findings out."""

from harness.triage.cluster import Cluster, cluster, rank_key
from harness.triage.severity import rate
from harness.triage.signature import SIGNATURE_VERSION, Signature, signature

__all__ = ["SIGNATURE_VERSION", "Cluster", "Signature", "cluster", "rank_key", "rate", "signature"]
