"""What a source's server can make Maillage do: not read its own machine or private network,
not fill its memory or disk."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
import responses

from catalog.errors import UnusableInput
from harvesters.dcat import DcatHarvester
from harvesters.engine import harvest
from harvesters.http import HttpClient, refuse_private_address, refuse_private_peer
from harvesters.mobiville import MobivilleHarvester
from tests.conftest import FIXTURES
from tests.local_server import local_server


@pytest.mark.parametrize("url", [
    "http://localhost:5432/", "http://api.localhost/x", "http://127.0.0.1/", "http://127.1/", "http://2130706433/",
    "http://0x7f.0.0.1/", "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/offres.xml",
    "https://192.168.1.20/api", "http://172.16.0.1/", "http://0.0.0.0:8000/", "http://[fd00::1]/", "http://LOCALHOST./",
])
def test_local_and_private_addresses_are_refused(url):
    with pytest.raises(UnusableInput, match="machine locale ou un réseau privé"):
        refuse_private_address(url)


@pytest.mark.parametrize("url", [
    "https://www.data.gouv.fr/fr/datasets/", "https://81.255.10.1/flux.xml", "http://[2001:4860:4860::8888]/",
    "https://api.localhost-partenaire.fr/", "https://10.example.fr/",
])
def test_public_addresses_and_names_pass(url):
    refuse_private_address(url)


def test_an_operator_may_allow_an_intranet(monkeypatch):
    monkeypatch.setenv("MAILLAGE_HTTP_ALLOW_PRIVATE", "1")
    refuse_private_address("http://10.0.0.8/offres.xml")


def test_a_redirect_towards_a_private_address_is_not_followed():
    with responses.RequestsMock() as rsps:
        rsps.get("https://partenaire.example.fr/aides.json", status=302,
                 headers={"Location": "http://169.254.169.254/latest/meta-data/iam"})
        with pytest.raises(UnusableInput, match="169.254.169.254"):
            HttpClient().get("https://partenaire.example.fr/aides.json")
        assert len(rsps.calls) == 1  # the metadata service was never asked


def test_a_source_at_a_private_address_fails_before_any_request(settings, engine):
    with responses.RequestsMock() as rsps:  # any request at all would fail the test
        summary = harvest(MobivilleHarvester("http://127.0.0.1:5432/aides.json"), settings=settings)
        assert len(rsps.calls) == 0
    assert summary.status == "failed" and "Adresse refusée : http://127.0.0.1:5432/aides.json" in summary.message


def test_a_catalog_cannot_point_a_source_at_the_internal_network(tmp_path, settings, engine, monkeypatch):
    """DCAT registers what a partner's catalog declares; running that source later is refused."""
    from catalog.sources import get_source
    from harvesters.engine import harvest_source

    text = (FIXTURES / "dcat" / "catalogue.jsonld").read_text(encoding="utf-8")
    assert "https://donnees.exemple-departement.fr/fichiers/services.csv" in text
    path = tmp_path / "catalogue.jsonld"
    path.write_text(text.replace("https://donnees.exemple-departement.fr/fichiers/services.csv",
                                 "http://169.254.169.254/latest/meta-data/services.csv"), encoding="utf-8")
    assert harvest(DcatHarvester(str(path)), source="departement", settings=settings).status == "done"
    spec = get_source(engine, "departement-services-insertion")
    assert spec.location == "http://169.254.169.254/latest/meta-data/services.csv"
    with responses.RequestsMock() as rsps:
        summary = harvest_source(spec.name, settings=settings)
        assert len(rsps.calls) == 0
    assert summary.status == "failed" and "Adresse refusée" in summary.message



@pytest.fixture
def intranet(monkeypatch):
    """A real server on 127.0.0.1, reached by a name that looks public: `intranet.partenaire.fr`
    (the resolver is told so, as a partner's DNS could). Its `url` is the name's."""
    resolve = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        return resolve("127.0.0.1" if host == "intranet.partenaire.fr" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with local_server(b'[{"id": "secret"}]', "application/json") as server:
        yield SimpleNamespace(url=f"http://intranet.partenaire.fr:{server.port}", hits=server.hits)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_name_that_leads_to_a_private_address_is_refused_when_connecting(intranet, scheme):
    # In https, the refusal comes before the TLS handshake (which this plain server would fail).
    with pytest.raises(UnusableInput, match=r"intranet.partenaire.fr mène à 127.0.0.1, une machine locale"):
        HttpClient().get(f"{intranet.url.replace('http', scheme, 1)}/aides.json")
    assert intranet.hits == []  # connected, refused before a single byte was sent


def test_the_intranet_answers_when_the_operator_allows_it(intranet, monkeypatch):
    # So that the test above proves something: the name does reach a server that answers.
    monkeypatch.setenv("MAILLAGE_HTTP_ALLOW_PRIVATE", "1")
    assert HttpClient().get_json(f"{intranet.url}/aides.json") == [{"id": "secret"}]
    assert intranet.hits == ["/aides.json"]


def test_a_harvest_from_a_name_that_leads_inside_fails_and_says_why(intranet, settings, engine):
    summary = harvest(MobivilleHarvester(f"{intranet.url}/aides.json"), settings=settings)
    assert summary.status == "failed" and "mène à 127.0.0.1" in summary.message
    assert intranet.hits == []


class _Socket:
    def __init__(self, peer):
        self.peer, self.closed = peer, False

    def getpeername(self):
        return self.peer

    def close(self):
        self.closed = True


@pytest.mark.parametrize(("peer", "public"), [
    (("81.255.10.1", 443), True), (("2001:4860:4860::8888", 443, 0, 0), True),
    (("10.1.2.3", 80), False), (("169.254.169.254", 80), False), (("::ffff:127.0.0.1", 80, 0, 0), False),
    (("fe80::1%eth0", 80, 0, 2), False),
])
def test_the_connected_address_decides(peer, public):
    sock = _Socket(peer)
    if public:
        refuse_private_peer(sock, "flux.example.fr")
    else:
        with pytest.raises(UnusableInput, match="Adresse refusée : flux.example.fr mène à"):
            refuse_private_peer(sock, "flux.example.fr")
    assert sock.closed is not public


BIG = b"[" + b'{"id": "a"},' * 100_000 + b'{"id": "b"}]'  # 1.2 MB


@pytest.mark.parametrize("declared", [True, False], ids=["taille-annoncee", "taille-tue"])
def test_a_response_larger_than_the_limit_is_refused(monkeypatch, declared):
    monkeypatch.setenv("MAILLAGE_HTTP_MAX_MB", "1")
    with responses.RequestsMock() as rsps:
        rsps.add(responses.Response("GET", "https://partenaire.example.fr/aides.json", body=BIG,
                                    auto_calculate_content_length=declared))
        with pytest.raises(UnusableInput, match="réponse de plus de 1 Mo, refusée .*MAILLAGE_HTTP_MAX_MB"):
            HttpClient().get_json("https://partenaire.example.fr/aides.json")
    monkeypatch.setenv("MAILLAGE_HTTP_MAX_MB", "2")
    with responses.RequestsMock() as rsps:
        rsps.get("https://partenaire.example.fr/aides.json", body=BIG)
        assert len(HttpClient().get_json("https://partenaire.example.fr/aides.json")) == 100_001


def test_a_download_larger_than_the_limit_is_refused_and_leaves_no_file(monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setenv("MAILLAGE_HTTP_MAX_DOWNLOAD_MB", "1")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with responses.RequestsMock() as rsps:
        rsps.get("https://carif.example.fr/offres.xml", body=BIG * 2)
        with pytest.raises(UnusableInput, match="MAILLAGE_HTTP_MAX_DOWNLOAD_MB"):
            HttpClient().download("https://carif.example.fr/offres.xml", suffix=".xml")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("status", "method"), [(307, "POST"), (302, "GET")])
def test_a_redirect_to_another_site_takes_no_credential_along(status, method):
    """requests drops only `Authorization`: a token sent under another name (Aides-territoires'
    X-AUTH-TOKEN) must not follow a redirect to another site, nor one from https to http."""
    targets = ["https://ailleurs.example.org/jeton", "http://aides-territoires.beta.gouv.fr/api/connexion/"]
    for target in targets:
        with responses.RequestsMock() as rsps:
            rsps.add(method, "https://aides-territoires.beta.gouv.fr/api/connexion/", status=status,
                     headers={"Location": target})
            rsps.add(method, target, json={"token": "x"})
            client = HttpClient(token="jeton-bearer", headers={"X-Api-Key": "cle-secrete"})
            client._request(method, "https://aides-territoires.beta.gouv.fr/api/connexion/",
                            headers={"X-AUTH-TOKEN": "jeton-du-compte"}, check_status=False)
            first, second = (call.request.headers for call in rsps.calls)
            assert first["X-AUTH-TOKEN"] == "jeton-du-compte" and first["X-Api-Key"] == "cle-secrete"
            assert first["Authorization"] == "Bearer jeton-bearer"
            assert not {"X-AUTH-TOKEN", "X-Api-Key", "Authorization"} & set(second)
            assert second["User-Agent"].startswith("Maillage")


def test_a_redirect_within_the_site_keeps_the_credentials():
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.exemple.fr/v1/aides", status=301, headers={"Location": "/v2/aides"})
        rsps.get("https://api.exemple.fr/v2/aides", json=[])
        HttpClient(headers={"X-AUTH-TOKEN": "jeton"}).get_json("https://api.exemple.fr/v1/aides")
        assert rsps.calls[1].request.headers["X-AUTH-TOKEN"] == "jeton"


def test_a_header_no_http_can_carry_is_refused_in_french_without_the_value():
    with responses.RequestsMock() as rsps:  # nothing sent
        with pytest.raises(UnusableInput, match="U\\+202F NARROW NO-BREAK SPACE") as refused:
            HttpClient(token="abc\u202fdef").get("https://api.exemple.fr/aides")
        with pytest.raises(UnusableInput, match="U\\+2019"):
            HttpClient().post("https://api.exemple.fr/connexion/", headers={"X-AUTH-TOKEN": "l\u2019jeton"})
        assert len(rsps.calls) == 0
    assert "abc" not in str(refused.value)


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, mtime=0)


ROWS = b"".join(b'{"id": "%d", "nom": "service %d"},' % (i, i) for i in range(20_000))
WHOLE = b"[" + ROWS + b'{"id": "fin"}]'


def _encoded(data: bytes, encoding: str) -> bytes:
    """`data` compressed as a Content-Encoding header lists it (in the order applied)."""
    import zlib

    for layer in encoding.split(", "):
        data = _gzip(data) if layer == "gzip" else zlib.compress(data)
    return data


# Stacked encodings were left to urllib3, which took a cut stream for a whole one.
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "gzip, gzip", "deflate, gzip"])
def test_a_compressed_body_cut_short_is_refused_whole_ones_pass(encoding, monkeypatch, tmp_path):
    """A body sent until the connection closes has no length to check: a cut gzip stream would
    pass for a short answer, unless the end of the compressed stream is required."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    packed = _encoded(WHOLE, encoding)
    url = "https://partenaire.example.fr/services.json"
    for body, whole in ((packed, True), (packed[: len(packed) // 2], False), (packed[:-4], False)):
        with responses.RequestsMock() as rsps:
            rsps.add(responses.Response("GET", url, body=body, headers={"Content-Encoding": encoding},
                                        auto_calculate_content_length=False))
            rsps.add(responses.Response("GET", url, body=body, headers={"Content-Encoding": encoding},
                                        auto_calculate_content_length=False))
            if whole:
                assert HttpClient().get(url).content == WHOLE
                assert HttpClient().download(url, ".json").read_bytes() == WHOLE
                continue
            with pytest.raises(UnusableInput, match="Téléchargement interrompu : .*réponse compressée tronquée"):
                HttpClient().get(url)
            with pytest.raises(UnusableInput, match="réponse compressée tronquée"):
                HttpClient().download(url, ".json")
    assert [p for p in tmp_path.iterdir() if p.stat().st_size < len(WHOLE)] == []  # no cut file left


def test_gzip_of_several_members_and_raw_deflate_are_read_whole():
    import zlib

    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    for body, encoding in ((_gzip(WHOLE[:1000]) + _gzip(WHOLE[1000:]), "gzip"),
                           (raw.compress(WHOLE) + raw.flush(), "deflate"),
                           (b"", "gzip")):
        with responses.RequestsMock() as rsps:
            rsps.get("https://partenaire.example.fr/x.json", body=body, headers={"Content-Encoding": encoding})
            assert HttpClient().get("https://partenaire.example.fr/x.json").content == (WHOLE if body else b"")


@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip"])
def test_a_compression_bomb_meets_the_size_cap(monkeypatch, encoding):
    monkeypatch.setenv("MAILLAGE_HTTP_MAX_MB", "1")
    with responses.RequestsMock() as rsps:  # 50 MB of zeros, 50 kB on the wire (twice gzipped: 200 bytes)
        rsps.get("https://partenaire.example.fr/x.json", body=_encoded(bytes(50 << 20), encoding),
                 headers={"Content-Encoding": encoding})
        with pytest.raises(UnusableInput, match="réponse de plus de 1 Mo"):
            HttpClient().get("https://partenaire.example.fr/x.json")


@pytest.mark.parametrize(("body", "content_type"), [
    (b"\xef\xbb\xbf" + '[{"nom": "Aide à la mobilité"}]'.encode(), "application/json"),  # a byte order mark
    ('[{"nom": "Aide à la mobilité"}]'.encode("latin-1"), "application/json; charset=ISO-8859-1"),
])
def test_json_with_a_byte_order_mark_or_a_declared_latin1_is_read(body, content_type):
    """Both were « réponse JSON tronquée ou mal formée », where the file readers read them."""
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.exemple.fr/aides", body=body, content_type=content_type)
        assert HttpClient().get_json("https://api.exemple.fr/aides") == [{"nom": "Aide à la mobilité"}]


def test_json_in_latin1_without_a_declaration_is_still_refused():
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.exemple.fr/aides", body='["à"]'.encode("latin-1"), content_type="application/json")
        with pytest.raises(UnusableInput, match="réponse JSON tronquée ou mal formée"):
            HttpClient().get_json("https://api.exemple.fr/aides")
