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
from dataclasses import dataclass
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
def raw_server(answers: list[bytes], *, drip: bytes = b"", tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    """A real server on 127.0.0.1 answering the n-th request it receives, on whatever connection,
    with `answers[n]` (raw HTTP; the last one again after that). A connection is kept for the next
    request unless the answer closes it. With `drip`, the answer is followed by `drip` every
    0.1 s until the client goes away: each wait within any read time-out, the whole never ending."""
    stop = threading.Event()
    asked: list[bytes] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                connection = tls.wrap_socket(self.request, server_side=True) if tls else self.request
                while True:
                    request = b""
                    while b"\r\n\r\n" not in request:
                        if not (received := connection.recv(4096)):
                            return
                        request += received
                    asked.append(request)
                    answer = answers[min(len(asked), len(answers)) - 1]
                    connection.sendall(answer)
                    while drip and not stop.wait(0.1):
                        connection.sendall(drip)
                    if drip or b"Connection: close" in answer:
                        return
            except OSError:  # the client gave up
                pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Server(f"http://127.0.0.1:{server.server_address[1]}", asked)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


@dataclass
class Server:
    url: str
    asked: list[bytes]  # the requests received, in order


def answer(status: str, body: bytes = b"", *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


HEAD_WITH_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n["
# No length, no chunks: the body ends when the connection closes, so a cut looks like an end.
HEAD_UNTIL_CLOSE = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n["


@pytest.mark.parametrize("head", [HEAD_WITH_LENGTH, HEAD_UNTIL_CLOSE], ids=["taille-annoncee", "jusqu-a-fermeture"])
def test_a_body_sent_a_byte_at_a_time_is_given_up_at_the_deadline(head):
    with raw_server([head], drip=b'{"id": "a"},') as server:
        started = time.monotonic()
        with pytest.raises(UnusableInput, match=TOO_SLOW):
            HttpClient(timeout=5).get_json(f"{server.url}/aides.json")
        assert time.monotonic() - started < 3  # the deadline, not the read time-out


def test_headers_sent_a_line_at_a_time_are_given_up_at_the_deadline():
    with raw_server([b"HTTP/1.1 200 OK\r\n"], drip=b"X-Attente: encore\r\n") as server:
        started = time.monotonic()
        with pytest.raises(UnusableInput, match=TOO_SLOW):
            HttpClient(timeout=5).get(f"{server.url}/aides.json")
        assert time.monotonic() - started < 3


def test_a_slow_download_fails_the_harvest_and_leaves_no_file(tmp_path, settings, engine, monkeypatch):
    import tempfile

    downloads = tmp_path / "telechargements"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 1000000\r\n\r\n<lheo>"
    with raw_server([head], drip=b"<offres>") as server:
        summary = harvest(LheoHarvester(f"{server.url}/offres.xml"), settings=settings)
    assert summary.status == "failed"
    assert "réponse toujours incomplète au bout de 1 s" in summary.message
    assert list(downloads.iterdir()) == []


def test_a_quick_answer_is_untouched_by_the_deadline_of_the_request_before(monkeypatch):
    monkeypatch.setenv("MAILLAGE_HTTP_MAX_SECONDS", "0.5")
    with raw_server([answer("200 OK", b"[1]"), answer("200 OK", b"[2]")]) as server:
        client = HttpClient(timeout=5)
        assert client.get_json(f"{server.url}/page") == [1]
        time.sleep(0.8)  # the first request's deadline passes while its connection waits in the pool
        assert client.get_json(f"{server.url}/page") == [2]


def test_a_server_asking_to_wait_hours_is_retried_after_two_minutes_at_most(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(urllib3_retry.time, "sleep", slept.append)
    monkeypatch.setenv("MAILLAGE_HTTP_MAX_SECONDS", "60")
    unavailable = answer("503 Service Unavailable", b"", "Retry-After: 86400", "Connection: close")
    with raw_server([unavailable, answer("200 OK", b"[]")]) as server:
        assert HttpClient().get_json(f"{server.url}/aids/") == []
    assert len(server.asked) == 2 and slept == [RETRY_AFTER_MAX] and RETRY_AFTER_MAX <= 120


@pytest.mark.parametrize("written", ["1.5", "-1", "soon"])
def test_a_retry_after_the_server_could_not_write_is_retried_all_the_same(monkeypatch, written):
    """urllib3 refuses « 1.5 »: the run failed on the first 503 (InvalidHeader), without retries."""
    monkeypatch.setattr(urllib3_retry.time, "sleep", lambda seconds: None)
    unavailable = answer("503 Service Unavailable", b"", f"Retry-After: {written}", "Connection: close")
    with raw_server([unavailable, answer("200 OK", b"[]")]) as server:
        assert HttpClient().get_json(f"{server.url}/aids/") == []
    assert len(server.asked) == 2


def test_a_refusal_says_when_the_server_asks_to_come_back(monkeypatch):
    monkeypatch.setattr(urllib3_retry.time, "sleep", lambda seconds: None)
    too_many = answer("429 Too Many Requests", b"", "Retry-After: 3600", "Connection: close")
    refusal = r"a répondu HTTP 429 \(le serveur demande de réessayer plus tard : Retry-After 3600\)"
    with raw_server([too_many]) as server, pytest.raises(UnusableInput, match=refusal):
        HttpClient().get(f"{server.url}/aids/")
    assert len(server.asked) == 4  # the first ask and three retries


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
    with raw_server([HEAD_WITH_LENGTH], drip=b'{"id": "a"},', tls=context) as server:
        started = time.monotonic()
        with pytest.raises(UnusableInput, match=TOO_SLOW):
            HttpClient(timeout=5).get_json(server.url.replace("http://", "https://") + "/aides.json")
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


def test_a_gzip_body_cut_by_the_connection_closing_is_refused_not_taken_for_the_whole():
    """No length, no chunks: the body ends when the connection closes, so only the end of the
    gzip stream tells a whole answer from a cut one."""
    import gzip

    packed = gzip.compress(b"[" + b'{"id": "a"},' * 50_000 + b'{"id": "b"}]', mtime=0)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n"
    cut = "Téléchargement interrompu : .*réponse compressée tronquée"
    with raw_server([head + packed[: len(packed) // 2]]) as server, pytest.raises(UnusableInput, match=cut):
        HttpClient(retries=0).get_json(f"{server.url}/services.json")
    with raw_server([head + packed]) as server:
        assert len(HttpClient(retries=0).get_json(f"{server.url}/services.json")) == 50_001
