"""What a slow source's server can make Maillage do: not hold a harvest for days. A real server
on 127.0.0.1 sends its answer a few bytes at a time, each within the read time-out."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from urllib3.util import retry as urllib3_retry

from catalog.errors import UnusableInput
from harvesters.engine import harvest
from harvesters.http import RETRY_AFTER_MAX, HttpClient
from harvesters.lheo import LheoHarvester

TOO_SLOW = "réponse toujours incomplète au bout de 1 s, abandonnée .*MAILLAGE_HTTP_MAX_SECONDS"


@pytest.fixture(autouse=True)
def one_second(monkeypatch):
    monkeypatch.setenv("MAILLAGE_HTTP_ALLOW_PRIVATE", "1")  # the server is on 127.0.0.1
    monkeypatch.setenv("MAILLAGE_HTTP_MAX_SECONDS", "1")


@contextmanager
def trickling_server(head: bytes, drip: bytes, every: float = 0.1,
                     tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Answers `head` at once, then `drip` every `every` seconds until the client goes away."""
    stop = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                connection = tls.wrap_socket(self.request, server_side=True) if tls else self.request
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(4096)
                connection.sendall(head)
                while not stop.wait(every):
                    connection.sendall(drip)
            except OSError:  # the client gave up
                pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


HEAD_WITH_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n["
# No length, no chunks: the body ends when the connection closes, so a cut looks like an end.
HEAD_UNTIL_CLOSE = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n["


@pytest.mark.parametrize("head", [HEAD_WITH_LENGTH, HEAD_UNTIL_CLOSE], ids=["taille-annoncee", "jusqu-a-fermeture"])
def test_a_body_sent_a_byte_at_a_time_is_given_up_at_the_deadline(head):
    with trickling_server(head, b'{"id": "a"},') as url:
        started = time.monotonic()
        with pytest.raises(UnusableInput, match=TOO_SLOW):
            HttpClient(timeout=5).get_json(f"{url}/aides.json")
        assert time.monotonic() - started < 3  # the deadline, not the read time-out


def test_headers_sent_a_line_at_a_time_are_given_up_at_the_deadline():
    with trickling_server(b"HTTP/1.1 200 OK\r\n", b"X-Attente: encore\r\n") as url:
        started = time.monotonic()
        with pytest.raises(UnusableInput, match=TOO_SLOW):
            HttpClient(timeout=5).get(f"{url}/aides.json")
        assert time.monotonic() - started < 3


def test_a_slow_download_fails_the_harvest_and_leaves_no_file(tmp_path, settings, engine, monkeypatch):
    import tempfile

    downloads = tmp_path / "telechargements"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 1000000\r\n\r\n<lheo>"
    with trickling_server(head, b"<offres>") as url:
        summary = harvest(LheoHarvester(f"{url}/offres.xml"), settings=settings)
    assert summary.status == "failed"
    assert "réponse toujours incomplète au bout de 1 s" in summary.message
    assert list(downloads.iterdir()) == []


def test_a_quick_answer_is_untouched_by_the_deadline_of_the_request_before(monkeypatch):
    monkeypatch.setenv("MAILLAGE_HTTP_MAX_SECONDS", "0.5")
    answers = iter([b"[1]", b"[2]"])

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            for body in answers:  # one keep-alive connection serves both requests
                request = b""
                while b"\r\n\r\n" not in request:
                    request += self.request.recv(4096)
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     b"Content-Length: 3\r\n\r\n" + body)

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = HttpClient(timeout=5)
        url = f"http://127.0.0.1:{server.server_address[1]}/page"
        assert client.get_json(url) == [1]
        time.sleep(0.8)  # the first request's deadline passes while its connection waits in the pool
        assert client.get_json(url) == [2]
        server.shutdown()


def test_a_server_asking_to_wait_hours_is_retried_after_two_minutes_at_most(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(urllib3_retry.time, "sleep", slept.append)
    monkeypatch.setenv("MAILLAGE_HTTP_MAX_SECONDS", "60")
    asked = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            request = b""
            while b"\r\n\r\n" not in request:
                request += self.request.recv(4096)
            asked.append(request)
            if len(asked) == 1:
                self.request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 86400\r\n"
                                     b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            else:
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        assert HttpClient().get_json(f"http://127.0.0.1:{server.server_address[1]}/aids/") == []
        server.shutdown()
    assert len(asked) == 2 and slept == [RETRY_AFTER_MAX] and RETRY_AFTER_MAX <= 120


def test_a_refusal_says_when_the_server_asks_to_come_back(monkeypatch):
    monkeypatch.setattr(urllib3_retry.time, "sleep", lambda seconds: None)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(4096)
            self.request.sendall(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3600\r\n"
                                 b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            self.request.shutdown(socket.SHUT_WR)

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with pytest.raises(UnusableInput, match=r"a répondu HTTP 429 \(le serveur demande de réessayer plus tard : "
                                                r"Retry-After 3600\)"):
            HttpClient().get(f"http://127.0.0.1:{server.server_address[1]}/aids/")
        server.shutdown()


def test_a_tls_server_that_never_shakes_hands_is_given_up_at_the_deadline():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (the kernel does), never answers
        started = time.monotonic()
        with pytest.raises(UnusableInput, match=TOO_SLOW):
            HttpClient(timeout=5).get(f"https://127.0.0.1:{silent.getsockname()[1]}/offres.xml")
        assert time.monotonic() - started < 3


def test_a_tls_body_sent_a_byte_at_a_time_is_given_up_at_the_deadline(tmp_path, monkeypatch):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed_certificate(tmp_path))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "cert.pem"))
    with trickling_server(HEAD_WITH_LENGTH, b'{"id": "a"},', tls=context) as url:
        url = url.replace("http://", "https://")
        started = time.monotonic()
        with pytest.raises(UnusableInput, match=TOO_SLOW):
            HttpClient(timeout=5).get_json(f"{url}/aides.json")
        assert time.monotonic() - started < 3


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    return str(directory / "cert.pem"), str(directory / "key.pem")
