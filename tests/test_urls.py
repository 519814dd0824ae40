"""Stream URLs as people see them: without their passwords, and why one could not be opened, asked of a real
server on this machine."""

import logging

import pytest

from live.errors import SourceError, UsageError
from live.sources import open_source
from live.urls import without_secrets
from tests.conftest import moving_frames, web_server


def test_passwords_in_a_source_url_are_never_shown(tmp_path, caplog):
    """An IP camera's URL holds its password, in the address or in a query field: it was in every message,
    and on the projector in the window's "stream lost" line."""
    assert without_secrets("rtsp://admin:hunter2@192.168.1.10:554/s1") == "rtsp://admin:***@192.168.1.10:554/s1"
    assert without_secrets("http://cam/CGIProxy.fcgi?cmd=snapPicture2&usr=admin&pwd=s3cret&size=a%2Fb") == \
        "http://cam/CGIProxy.fcgi?cmd=snapPicture2&usr=admin&pwd=***&size=a%2Fb"
    assert without_secrets("http://cam/video?access_token=abc") == "http://cam/video?access_token=***"
    for kept in ("http://user@cam/live?x=a%2Fb", "demo", "0", "/dev/video2", "talk.mp4"):
        assert without_secrets(kept) == kept
    with pytest.raises(SourceError) as refused:
        open_source("rtsp://admin:hunter2@127.0.0.1:1/stream")  # nothing listens on port 1
    assert "rtsp://admin:***@127.0.0.1:1/stream could not be opened" in str(refused.value)
    with pytest.raises(UsageError) as sized:
        open_source("http://admin:hunter2@127.0.0.1:1/live", camera_size=(720, 1280))
    caplog.set_level(logging.DEBUG, logger="live.sources")
    with web_server(tmp_path, mjpeg_frames=moving_frames(4, 64, 64)) as url:
        with open_source(url.replace("http://", "http://admin:hunter2@") + "/live?pwd=hunter2") as stream:
            assert stream.read() is not None and "admin:***@" in str(stream) and "pwd=***" in str(stream)
    assert "hunter2" not in caplog.text + str(refused.value) + str(sized.value)


def test_a_stream_that_cannot_be_opened_says_what_the_server_answered(tmp_path):
    """FFmpeg says nothing of why: each of these was 'the server refused it or could not be reached'."""
    (tmp_path / "index.html").write_text("<html><body>My camera</body></html>")
    with web_server(tmp_path, mjpeg_frames=moving_frames(4, 48, 64)) as url:
        reasons = {}
        for name, address in (("web page", f"{url}/"), ("missing", f"{url}/video.mjpg"),
                              ("no password", f"{url}/private/live"),
                              ("wrong password", url.replace("http://", "http://admin:secret@") + "/private/live")):
            with pytest.raises(SourceError) as refused:
                open_source(address)
            reasons[name] = str(refused.value)
        with open_source(url.replace("http://", "http://admin:hunter2@") + "/private/live") as camera:
            assert camera.read() is not None  # FFmpeg sends the URL's user and password
    assert "the address is a web page (text/html), not a video stream or a picture" in reasons["web page"]
    assert "the server has nothing at this path (404" in reasons["missing"]
    assert "asks for a user name and password (401 Unauthorized): give them in the address" in reasons["no password"]
    assert "asks for a user name and password (401 Unauthorized): are they right?" in reasons["wrong password"]
    assert "secret" not in reasons["wrong password"]
