"""Mutual-TLS credentials: client certificates required, only the shop's CA trusted.

gRPC's TLS stack (BoringSSL) negotiates TLS 1.3 when both ends support it and never less than
TLS 1.2 (grpc core's default minimum); ``tests/integration/test_grpc_mtls.py`` checks that an
older protocol is refused.
"""

from __future__ import annotations

import grpc

from app.platform.grpc.pki import Pki, server_name


def server_credentials(pki: Pki, modules: list[str]) -> grpc.ServerCredentials:
    """One certificate per hosted module; the TLS stack picks it by the name the client asks
    for (SNI), so one host can serve several modules and still prove each one's name."""
    pairs = []
    for module in modules:
        _ca, cert, key = pki.material(module)
        pairs.append((key, cert))
    return grpc.ssl_server_credentials(pairs, root_certificates=pki.ca_cert_path.read_bytes(),
                                       require_client_auth=True)


def channel_credentials(pki: Pki, caller: str) -> grpc.ChannelCredentials:
    ca, cert, key = pki.material(caller)
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key,
                                        certificate_chain=cert)


def server_name_option(module: str) -> tuple[str, str]:
    """Check the server's certificate names the module we meant to reach, whatever the address."""
    return ("grpc.ssl_target_name_override", server_name(module))
