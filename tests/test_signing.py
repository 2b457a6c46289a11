"""The documented vectors of enos-batch-api.md §2, reproduced exactly."""

from __future__ import annotations

from migrate.service.signing import params_data, request_signature, token_encryption

TOKEN, SECRET, TIMESTAMP = "xxxxaaaxxxx", "xxxappSecretxxx", 1572574909697


def test_official_signature_vector_with_the_chinese_body() -> None:
    body = '{\n  "count": 20,\n  "page": 1,\n  "desc": "描述"\n}'.encode()
    query = {"k3": "v3", "k1": "v1", "k2": "v2"}
    assert params_data(query, body) == b"k1v1k2v2k3v3" + body
    assert len(TOKEN.encode() + params_data(query, body) + f"{TIMESTAMP}{SECRET}".encode()) == 101
    assert request_signature(TOKEN, query, body, TIMESTAMP, SECRET) == (
        "59828328f6c1f9771015dc74e4929ae30f518a35a3d2353972c2ea46556fc981")


def test_signature_vector_with_the_english_body() -> None:
    body = b'{\n  "count": 20,\n  "page": 1,\n  "desc": "description"\n}'
    assert request_signature(TOKEN, {"k3": "v3", "k1": "v1", "k2": "v2"}, body, TIMESTAMP, SECRET) == (
        "ad6dc6fc97f4290f3724e94eab38168d8613c41c3a4569b4b8b0efbce96a816c")


def test_get_flow_vector_without_a_body() -> None:
    query = {"action": "get", "flowId": "2479", "userId": "yourUserId", "orgId": "yourOrgId"}
    assert params_data(query, None) == b"actiongetflowId2479orgIdyourOrgIduserIdyourUserId"
    assert request_signature(TOKEN, query, None, TIMESTAMP, SECRET) == (
        "327cfdbfc2c4456ae7391ca8b99c280e8af2f8efed8fee9dea080e37a58c1f56")


def test_token_encryption_vector() -> None:
    assert token_encryption("5acb82e7-a11e-4300-9164-c8b20b638e8b", TIMESTAMP, SECRET) == (
        "83e2f674e53f1a71943b6c5fc9bd0eb27864c83075af8b4bf528f3faa8c7ca38")


def test_names_sort_in_ascii_order_uppercase_first() -> None:
    assert params_data({"b": "1", "B": "2", "a": "3"}, None) == b"B2a3b1"
