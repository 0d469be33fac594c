"""Issue 10, part 6 (signatures and oracles): every required case and the tests that prove it.

Each proof is a pytest node id; ``test_cases.py`` checks that every one still names a test, so a
renamed or deleted proof fails the suite instead of silently leaving a case unproven. Proofs that
already existed elsewhere are referenced here, not repeated.
"""

from __future__ import annotations

SIGNATURES = "tests/security/test_signatures.py"
IOT = (
    "tests/security/test_iot_replay.py"
    "::test_replayed_reordered_revoked_unknown_and_altered_readings_are_refused_and_never_anchored"
)
CUSTOMS = "tests/security/test_customs_replay.py"
CHAIN_CUSTOMS = "tests/chain/test_customs.py"
CROSS_CHECK = f"{SIGNATURES}::test_the_python_verifier_accepts_exactly_the_signatures_the_contract_accepts"
READING_VARIANTS = f"{SIGNATURES}::test_the_reading_verifier_refuses_what_the_contract_refuses"
OPERATOR_REFUSED = f"{CUSTOMS}::test_an_operator_that_may_not_attest_records_the_refusal_and_changes_nothing"

CASES: dict[str, tuple[str, ...]] = {
    # --- EIP-712 customs attestations (CustomsAttestations, OpenZeppelin ECDSA) ---------------------
    "attestation replayed on another chain id": (
        f"{CHAIN_CUSTOMS}::test_a_signature_for_another_domain_is_rejected[another chain id]",
        f"{SIGNATURES}::test_a_fork_with_another_chain_id_refuses_the_original_chain_s_signatures",
    ),
    "attestation replayed against another contract": (
        f"{CHAIN_CUSTOMS}::test_a_signature_for_another_domain_is_rejected[another contract]",
    ),
    "attestation after its deadline": (
        f"{CHAIN_CUSTOMS}::test_an_attestation_after_its_deadline_is_rejected",
    ),
    "attestation signature used twice": (
        f"{CHAIN_CUSTOMS}::test_a_replayed_signature_is_rejected",
        f"{CHAIN_CUSTOMS}::test_a_single_operator_cannot_finalise",
        f"{SIGNATURES}::test_the_same_signature_twice_in_one_batch_is_refused_whole",
        f"{CUSTOMS}::test_an_operators_attestation_replayed_by_another_relayer_is_refused",
    ),
    "attestation with a high-s (malleable) signature": (
        f"{CHAIN_CUSTOMS}::test_a_malleable_high_s_signature_is_rejected",
        f"{CROSS_CHECK}[malleable twin (n - s, v swapped)]",
        f"{CROSS_CHECK}[high s, v kept]",
    ),
    "attestation with v swapped or not 27/28": (
        f"{CROSS_CHECK}[v 27/28 swapped]",
        f"{CROSS_CHECK}[v as 0/1]",
        f"{CROSS_CHECK}[v 29]",
    ),
    "Python verifier accepts exactly what the contract accepts": (CROSS_CHECK,),
    # --- EIP-712 device readings (the IoT oracle's fast verifier, tradeledger verify) ---------------
    "reading signed for another chain id": (
        "tests/iot/test_readings.py::test_the_domain_binds_readings_to_one_deployment",
        IOT,
    ),
    "reading signed for another DeviceRegistry": (IOT,),
    "reading past its time window (its expiry)": (
        "tests/oracles/test_iot_oracle.py::test_readings_are_verified_persisted_anchored_and_provable",
    ),
    "reading with a high-s (malleable) signature": (
        "tests/iot/test_readings.py::test_high_s_signatures_are_refused",
        f"{READING_VARIANTS}[malleable twin (n - s, v swapped)]",
        f"{READING_VARIANTS}[high s, v kept]",
        IOT,
    ),
    "reading with v swapped or not 27/28": (
        f"{READING_VARIANTS}[v 27/28 swapped]",
        f"{READING_VARIANTS}[v as 0/1]",
        IOT,
    ),
    # --- device readings through the IoT oracle and Mosquitto ---------------------------------------
    "reading replayed (the same message again)": (
        IOT,
        "tests/oracles/test_group_commit.py::test_one_group_judges_sequences_against_itself_and_fails_whole",
    ),
    "reading replayed (its sequence reused)": (
        "tests/oracles/test_iot_oracle.py::test_readings_are_verified_persisted_anchored_and_provable",
    ),
    "reading reordered (an older sequence after a newer one)": (
        IOT,
        "tests/oracles/test_group_commit.py::test_one_group_judges_sequences_against_itself_and_fails_whole",
    ),
    "reading from a revoked device key": (
        IOT,
        "tests/oracles/test_iot_oracle.py::test_readings_are_verified_persisted_anchored_and_provable",
    ),
    "reading from an unregistered key": (IOT,),
    "reading with a tampered payload": (
        IOT,
        "tests/iot/test_readings.py::test_any_change_to_a_signed_reading_changes_the_signer",
    ),
    # --- customs attestations through the customs oracle and the contract ---------------------------
    "customs attestation replayed": (
        f"{CUSTOMS}::test_an_operators_attestation_replayed_by_another_relayer_is_refused",
        "tests/oracles/test_customs_operator.py::test_reading_the_feed_again_sends_nothing_twice",
    ),
    "customs status reordered (an older status after a newer one)": (
        f"{CUSTOMS}::test_an_older_status_after_a_newer_one_does_not_move_the_declaration_back",
        f"{CHAIN_CUSTOMS}::test_statuses_only_move_forward",
    ),
    "customs attestation from a suspended operator": (
        f"{OPERATOR_REFUSED}[a suspended operator]",
        f"{CHAIN_CUSTOMS}::test_a_suspended_operator_organisation_is_rejected",
    ),
    "customs attestation from a revoked operator key": (
        f"{OPERATOR_REFUSED}[a revoked operator key]",
        f"{SIGNATURES}::test_a_signature_by_an_operator_key_removed_after_signing_is_refused",
    ),
    "customs attestation from a non-operator key": (
        f"{OPERATOR_REFUSED}[a key of no customs oracle]",
        f"{CHAIN_CUSTOMS}::test_an_unknown_operator_is_rejected",
    ),
}
