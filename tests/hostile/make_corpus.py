#!/usr/bin/env python3
"""make_corpus.py DIR: writes the hostile corpus into DIR (created if
needed; earlier corpus files there are removed first): files named
<expected decode reason>--<what>.<ext>, or ok--<what> for valid controls.
tests/run.sh generates it into $BUILD/hostile and passes it to its readers
(tests/unit/test_hostile.c, tests/schemas/test_schemas.py) as HOSTILE_DIR;
it is not committed. Personal-looking values carry "SECRET" so the test can
check that no rejection reason repeats them."""
import json, os, random, sys
if len(sys.argv) != 2:
    sys.exit("usage: make_corpus.py DIR")
D = sys.argv[1]
os.makedirs(D, exist_ok=True)
for f in os.listdir(D):
    if "--" in f: os.remove(os.path.join(D, f))
T = "2026-03-01T00:00:00Z"
def ev(t="hr.review.completed", d={"rating": 3}, **over):
    e = {"specversion":"1.0","id":"h-1","source":"/hostile","type":t,"subject":"SECRET-E1","time":T}
    if d is not None: e["data"] = d
    for k, v in over.items():
        if v is None: e.pop(k, None)
        else: e[k] = v
    return json.dumps(e, ensure_ascii=False, separators=(",",":")).encode()
def w(name, b):
    if isinstance(b, str): b = b.encode()
    open(os.path.join(D, name), "wb").write(b)
HIRED = {"department":"SECRET-DEPT","job_level":3,"salary":50000}
# --- controls: valid events that must be accepted
w("ok--hired.json", ev("hr.employee.hired", dict(HIRED, manager_id="M1", location="Berlin", attributes={"overtime":"yes","distance_km":12})))
w("ok--review.json", ev())
w("ok--survey.json", ev("hr.survey.submitted", {"satisfaction":0,"engagement":100}))
w("ok--compensation.json", ev("hr.compensation.changed", {"kind":"bonus","amount":1000}))
w("ok--training.json", ev("hr.training.completed", {"hours":0,"cost":0,"assessment":100}))
w("ok--promotion.json", ev("hr.promotion.granted", {"job_level":15}))
w("ok--care.json", ev("hr.care.provided", {"kind":"health_check"}))
w("ok--manager.json", ev("hr.manager.changed", {"manager_id":"M2"}))
w("ok--profile-64-attributes.json", ev("hr.profile.updated", {"attributes":{f"a{i}": i for i in range(64)}}))
w("ok--exited.json", ev("hr.employee.exited", {"voluntary":False}))
w("ok--erased-no-data.json", ev("hr.employee.erased", None))
w("ok--unicode-subject.json", ev(subject="J\u00fcrgen-\u674e-\U0001F600"))
w("ok--subject-128-bytes.json", ev(subject="S"*128))
w("ok--id-256-bytes.json", ev(id="i"*256))
w("ok--nested-100-unknown-field.json", ev(d={"rating":3,"x":json.loads("["*100+"]"*100)}))
w("ok--time-offset-fraction.json", ev(time="2026-03-01T05:30:00.123456789+05:30"))
base = ev(pad="")
w("ok--exactly-64KiB.json", ev(pad="x"*(65536-len(base))))
assert os.path.getsize(os.path.join(D, "ok--exactly-64KiB.json")) == 65536
# --- size
w("too_large--64KiB-plus-one.json", ev(pad="x"*(65537-len(base))))
w("too_large--100KiB-padding.json", ev(pad="x"*(100*1024)))
w("too_large--10k-attributes.json", ev("hr.profile.updated", {"attributes":{f"{i}": 0 for i in range(10000)}}))
w("too_large--deep-80k.json", b"["*80000)
# --- structure
w("not_json--empty.json", b"")
w("not_json--whitespace.json", b" \n\t ")
w("not_json--deep-arrays.json", b'{"a":' + b"["*30000 + b"]"*30000 + b"}")
w("not_json--deep-objects.json", b'{"a":' + b'{"a":'*10000 + b"1" + b"}"*10000 + b"}")
w("not_json--unclosed.json", ev()[:-1])
w("not_json--trailing-garbage.json", ev() + b" {}")
w("not_json--trailing-nul.json", ev() + b"\0")
w("not_json--raw-nul-in-string.json", ev().replace(b"SECRET-E1", b"SECRET\0E1"))
w("not_json--escaped-nul.json", ev().replace(b"SECRET-E1", b"SECRET\\u0000E1"))
w("not_json--invalid-utf8.json", ev().replace(b"SECRET-E1", b"SECRET\xffE1"))
w("not_json--overlong-utf8.json", ev().replace(b"SECRET-E1", b"SECRET\xc0\xafE1"))
w("not_json--utf8-surrogate.json", ev().replace(b"SECRET-E1", b"SECRET\xed\xa0\x80E1"))
w("not_json--escaped-lone-surrogate.json", ev().replace(b"SECRET-E1", b"SECRET\\ud800E1"))
w("not_json--truncated-utf8.json", ev().replace(b"SECRET-E1", b"SECRET\xe2\x82"))
w("not_json--utf16.json", ev().decode().encode("utf-16"))
w("not_json--utf8-bom.json", b"\xef\xbb\xbf" + ev())
w("not_json--nan.json", ev().replace(b'"rating":3', b'"rating":NaN'))
w("not_json--infinity.json", ev().replace(b'"rating":3', b'"rating":Infinity'))
w("not_json--single-quotes.json", ev().replace(b'"', b"'"))
w("not_json--comment.json", b"/* x */" + ev())
w("not_json--duplicate-subject.json", ev()[:-1] + b',"subject":"SECRET-E2"}')
w("not_json--duplicate-data-field.json", ev().replace(b'"rating":3', b'"rating":3,"rating":1'))
w("not_json--top-level-string.json", b'"SECRET"')
w("not_json--top-level-number.json", b"42")
w("bad_type--top-level-array.json", b"[" + ev() + b"]")
random.seed(1042)
w("not_json--binary-garbage.bin", bytes(random.randrange(256) for _ in range(4096)))
w("not_json--jpeg-header.bin", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)))
w("not_json--gzip.bin", b"\x1f\x8b\x08\x00" + bytes(random.randrange(256) for _ in range(512)))
# --- numbers
w("out_of_range--number-overflow.json", ev("hr.employee.hired", dict(HIRED, salary=None)).replace(b'"job_level":3', b'"job_level":3,"salary":1e999'))
w("out_of_range--huge-integer.json", ev("hr.employee.hired", HIRED).replace(b'"job_level":3', b'"job_level":123456789012345678901234567890'))
w("out_of_range--job-level-0.json", ev("hr.employee.hired", dict(HIRED, job_level=0)))
w("out_of_range--job-level-2e9.json", ev("hr.promotion.granted", {"job_level":2147483648}))
w("out_of_range--negative-salary.json", ev("hr.employee.hired", dict(HIRED, salary=-0.01)))
w("out_of_range--rating-6.json", ev(d={"rating":6}))
w("out_of_range--rating-negative.json", ev(d={"rating":-1e308}))
w("out_of_range--potential-4.json", ev(d={"rating":3,"potential":4}))
w("out_of_range--survey-101.json", ev("hr.survey.submitted", {"satisfaction":101}))
w("out_of_range--survey-negative-engagement.json", ev("hr.survey.submitted", {"satisfaction":1,"engagement":-5}))
w("out_of_range--hours-negative.json", ev("hr.training.completed", {"hours":-8}))
w("out_of_range--assessment-1000.json", ev("hr.training.completed", {"hours":8,"assessment":1000}))
w("out_of_range--care-cost-negative.json", ev("hr.care.provided", {"kind":"wellness","cost":-1}))
w("out_of_range--comp-kind-unknown.json", ev("hr.compensation.changed", {"kind":"SECRET-kind","amount":1}))
w("out_of_range--care-kind-unknown.json", ev("hr.care.provided", {"kind":"spa"}))
w("out_of_range--65-attributes.json", ev("hr.profile.updated", {"attributes":{f"a{i}": i for i in range(65)}}))
w("out_of_range--3000-attributes.json", ev("hr.profile.updated", {"attributes":{f"{i:x}": 1 for i in range(3000)}}))
# --- types
w("bad_type--specversion-0.3.json", ev(specversion="0.3"))
w("bad_type--specversion-number.json", ev().replace(b'"specversion":"1.0"', b'"specversion":1.0'))
w("bad_type--time-number.json", ev(time=1772323200))
w("bad_type--id-number.json", ev(id=7))
w("bad_type--id-empty.json", ev(id=""))
w("bad_type--source-control-char.json", ev(source="/h\u001b[31m"))
w("bad_type--salary-string.json", ev("hr.employee.hired", dict(HIRED, salary="SECRET-50000")))
w("bad_type--job-level-fraction.json", ev("hr.employee.hired", dict(HIRED, job_level=3.5)))
w("bad_type--voluntary-string.json", ev("hr.employee.exited", {"voluntary":"yes"}))
w("bad_type--voluntary-number.json", ev("hr.employee.exited", {"voluntary":1}))
w("bad_type--data-array.json", ev(d=[1,2,3]))
w("bad_type--data-string.json", ev(d="SECRET-payload"))
w("bad_type--attributes-array.json", ev("hr.profile.updated", {"attributes":["a"]}))
w("bad_type--attribute-bool.json", ev("hr.profile.updated", {"attributes":{"overtime":True}}))
w("bad_type--attribute-nested.json", ev("hr.profile.updated", {"attributes":{"x":{"SECRET":1}}}))
w("bad_type--attribute-name-control.json", ev("hr.profile.updated", {"attributes":{"a\nb":1}}))
w("bad_type--department-control.json", ev("hr.employee.hired", dict(HIRED, department="SECRET\r\nX-Injected: 1")))
w("bad_type--datacontenttype-xml.json", ev(datacontenttype="application/xml"))
# --- ids and lengths
w("bad_id--subject-empty.json", ev(subject=""))
w("bad_id--subject-newline.json", ev(subject="SECRET\nE1"))
w("bad_id--subject-c1-control.json", ev(subject="SECRET\u0085E1"))
w("bad_id--subject-del.json", ev(subject="SECRET\u007f"))
w("bad_id--subject-noncharacter.json", ev(subject="SECRET\ufffe"))
w("bad_id--subject-bidi-override.json", ev(subject="SECRET\u202eE1"))
w("bad_id--subject-zero-width.json", ev(subject="SECRET\u200bE1"))
w("bad_id--manager-id-tab.json", ev("hr.manager.changed", {"manager_id":"SECRET\tM"}))
w("too_long--subject-129-bytes.json", ev(subject="S"*129))
w("too_long--subject-64KiB.json", ev(subject="S"*60000))
w("too_long--id-257-bytes.json", ev(id="i"*257))
w("too_long--source-10k.json", ev(source="/"+"s"*10000))
w("too_long--department-64-bytes.json", ev("hr.employee.hired", dict(HIRED, department="D"*64)))
w("too_long--attribute-value.json", ev("hr.profile.updated", {"attributes":{"x":"v"*1000}}))
w("too_long--manager-id.json", ev("hr.manager.changed", {"manager_id":"M"*129}))
# --- missing
w("missing_field--no-subject.json", ev(subject=None))
w("missing_field--no-time.json", ev(time=None))
w("missing_field--null-type.json", ev().replace(b'"type":"hr.review.completed"', b'"type":null'))
w("missing_field--no-data.json", ev(d=None))
w("missing_field--empty-object.json", b"{}")
w("missing_field--hired-no-salary.json", ev("hr.employee.hired", {"department":"D","job_level":2}))
w("missing_field--profile-no-attributes.json", ev("hr.profile.updated", {}))
# --- type
w("unknown_type--made-up.json", ev("hr.employee.teleported"))
w("unknown_type--10k-chars.json", ev("hr." + "x"*10000))
w("unknown_type--case.json", ev("HR.REVIEW.COMPLETED"))
# --- time
for name, t in [("year-0000","0000-01-01T00:00:00Z"),("year-1969","1969-12-31T23:59:59Z"),
                ("year-10000","10000-01-01T00:00:00Z"),("negative-year","-2026-03-01T00:00:00Z"),
                ("month-13","2026-13-01T00:00:00Z"),("feb-30","2026-02-30T00:00:00Z"),
                ("feb-29-non-leap","2025-02-29T00:00:00Z"),("hour-25","2026-03-01T25:00:00Z"),
                ("no-zone","2026-03-01T00:00:00"),("date-only","2026-03-01"),
                ("unix-seconds-string","1772323200"),("words","next tuesday"),
                ("offset-24h","2026-03-01T00:00:00+24:00"),("fraction-1000-digits","2026-03-01T00:00:00."+"9"*1000+"Z"),
                ("leap-second-midday","2026-03-01T12:00:60Z"),("epoch-minus-offset","1970-01-01T00:00:00+00:01")]:
    w(f"bad_time--{name}.json", ev(time=t))
