"""Open311 GeoReport v2 with a real client: `georeport` 0.3.1 from PyPI against `yiwang demo`.

Run by scripts/test-open311-georeport.sh, which makes a virtual environment with the client.
Starts the binary named by YIWANG_BIN on a fresh data directory with a small demo, reads the
address it prints, and speaks to it as that client does, in XML and in JSON.

georeport only reads; requests are posted with `requests` (which georeport itself uses), the way
the spec says: form-encoded, with an api_key. The key comes from the demo's line
`open311 api key: <key>`, printed before its `serving at` line; posting without one must be
refused.
"""

import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import requests
import xmltodict
from georeport import GeoReport

BIN = os.environ.get("YIWANG_BIN", "target/debug/yiwang")
JURISDICTION = "110101"
STARTUP_SECONDS = 180


class Server:
    """`yiwang demo` on a fresh data directory, until stopped."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="yiwang-open311-")
        self.log = open(os.path.join(self.dir, "stderr.log"), "w")
        self.proc = subprocess.Popen(
            [BIN, "--data", os.path.join(self.dir, "data"), "--listen", "127.0.0.1:0",
             "demo", "--days", "3", "--per-day", "5"],
            stdout=subprocess.PIPE, stderr=self.log, text=True, encoding="utf-8",
        )
        lines = queue.Queue()

        def read():
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)  # the binary closed its output: it has stopped

        threading.Thread(target=read, daemon=True).start()
        self.url = None
        self.api_key = None
        deadline = time.time() + STARTUP_SECONDS
        while self.url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"yiwang did not start within {STARTUP_SECONDS} s")
            if line is None:
                code = self.proc.wait()
                self.log.flush()
                with open(self.log.name) as log:
                    detail = log.read()[-2000:]
                self.stop()
                raise RuntimeError(f"{BIN} stopped (exit code {code}) before serving:\n{detail}")
            key = re.search(r"open311 api key: (\S+)", line)
            if key:
                self.api_key = key.group(1)
            served = re.search(r"serving at (http://\S+?)/?\s", line)
            if served:
                self.url = served.group(1)
        self.root = self.url + "/open311/v2"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


SERVER = None


def client(fmt):
    return GeoReport(SERVER.root, jurisdiction=JURISDICTION, output_format=fmt)


def as_list(x):
    """xmltodict gives one element as a dict and several as a list."""
    return x if isinstance(x, list) else [x]


def xml_error(response):
    errors = as_list(xmltodict.parse(response.content)["errors"]["error"])
    assert len(errors) == 1, errors
    return int(errors[0]["code"]), errors[0]["description"]


class GeoReportClient(unittest.TestCase):
    def test_lists_services_in_xml_and_json(self):
        xml = client("xml").get_service_list()
        js = client("json").get_service_list()
        self.assertGreater(len(xml), 50)
        self.assertEqual([s["service_code"] for s in xml], [s["service_code"] for s in js])
        rubbish = next(s for s in js if s["service_code"] == "E0102")
        self.assertEqual(rubbish["service_name"], "暴露垃圾")
        self.assertIs(rubbish["metadata"], True)
        self.assertEqual(rubbish["type"], "realtime")
        xml_rubbish = next(s for s in xml if s["service_code"] == "E0102")
        self.assertEqual(xml_rubbish["metadata"], "true")
        self.assertEqual(xml_rubbish["group"], rubbish["group"])

    def test_gets_a_service_definition(self):
        xml = client("xml").get_service_definition("E0102")
        js = client("json").get_service_definition("E0102")
        self.assertEqual(xml["service_code"], "E0102")
        self.assertEqual(js["service_code"], "E0102")
        xml_codes = [a["code"] for a in as_list(xml["attributes"]["attribute"])]
        self.assertEqual(xml_codes, [a["code"] for a in js["attributes"]])
        self.assertIn("request_type", xml_codes)
        urgency = next(a for a in js["attributes"] if a["code"] == "urgency")
        self.assertEqual(urgency["datatype"], "singlevaluelist")
        self.assertEqual([v["key"] for v in urgency["values"]], ["urgent", "normal", "deferred"])

    def test_reads_requests_in_xml_and_json(self):
        js = client("json").get_service_requests()
        xml = as_list(client("xml").get_service_requests())
        self.assertTrue(js, "the demo has requests in the last 90 days")
        self.assertEqual([r["service_request_id"] for r in js], [r["service_request_id"] for r in xml])
        for r in js:
            self.assertIn(r["status"], ("open", "closed"))
            self.assertNotIn("reporter", r)
            self.assertTrue(r["requested_datetime"].endswith("+08:00"))
        first = js[0]
        one_json = client("json").get_service_request(first["service_request_id"])
        one_xml = client("xml").get_service_request(first["service_request_id"])
        self.assertEqual(one_json["service_request_id"], first["service_request_id"])
        self.assertEqual(one_xml["service_request_id"], first["service_request_id"])
        self.assertEqual(one_xml["service_code"], first["service_code"])
        self.assertEqual(float(one_xml["lat"]), first["lat"])

        by_code = client("json").get_service_requests(service_code=first["service_code"])
        self.assertTrue(by_code and all(r["service_code"] == first["service_code"] for r in by_code))
        for status in ("open", "closed"):
            self.assertTrue(all(r["status"] == status for r in client("json").get_service_requests(status=status)))
        ids = ",".join(r["service_request_id"] for r in js[:2])
        self.assertEqual(len(client("json").get_service_requests(service_request_id=ids)), min(2, len(js)))

    def test_errors_are_the_spec_list(self):
        r = requests.get(SERVER.root + "/services/E9999.xml", params={"jurisdiction_id": JURISDICTION})
        self.assertEqual(r.status_code, 404)
        self.assertEqual(xml_error(r)[0], 404)
        r = requests.get(SERVER.root + "/services/E9999.json", headers={"Accept-Language": "en"})
        self.assertEqual(r.json()[0]["code"], 404)
        self.assertIn("was not found", r.json()[0]["description"])
        wrong = GeoReport(SERVER.root, jurisdiction="310101", output_format="xml")
        with self.assertRaises(requests.HTTPError) as e:
            wrong.get_service_list()
        self.assertEqual(e.exception.response.status_code, 404)

    def test_posting_without_an_api_key_is_refused(self):
        r = requests.post(SERVER.root + "/requests.xml", data={
            "jurisdiction_id": JURISDICTION, "service_code": "E0102",
            "lat": "39.9", "long": "116.4", "description": "垃圾"})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(xml_error(r)[0], 403)

    def test_posts_a_request_and_reads_it_back(self):
        self.assertIsNotNone(SERVER.api_key, "the demo printed no 'open311 api key:' line")
        place = client("json").get_service_requests()[0]
        r = requests.post(SERVER.root + "/requests.xml", data=[
            ("jurisdiction_id", JURISDICTION), ("api_key", SERVER.api_key), ("service_code", "E0102"),
            ("lat", str(place["lat"])), ("long", str(place["long"])),
            ("description", "路口垃圾成堆，三天没人清理"), ("attribute[request_type]", "complaint"),
            ("media_url", "https://example.org/1.jpg"), ("media_url", "https://example.org/2.jpg"),
            ("email", "someone@example.org"), ("first_name", "Wang"), ("last_name", "Fang")])
        self.assertEqual(r.status_code, 200, r.text)
        new_id = as_list(xmltodict.parse(r.content)["service_requests"]["request"])[0]["service_request_id"]
        for fmt in ("xml", "json"):
            back = client(fmt).get_service_request(new_id)
            self.assertEqual(back["service_request_id"], new_id)
            self.assertEqual(back["service_code"], "E0102")
            self.assertEqual(back["description"], "路口垃圾成堆，三天没人清理")
            self.assertEqual(back["media_url"], "https://example.org/1.jpg")
            self.assertEqual(back["status"], "open")


def main():
    global SERVER
    SERVER = Server()
    try:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(GeoReportClient)
        result = unittest.TextTestRunner(verbosity=2).run(suite)
    finally:
        SERVER.stop()
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    for _, reason in result.skipped:
        print(f"SKIPPED: {reason}")
    print(f"georeport: {passed} passed, {failed} failed, {len(result.skipped)} skipped")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
