#!/usr/bin/env python3
"""Writes ../commands_meta.go from Redis's command JSON files (src/commands
in a checkout of github.com/redis/redis): arity, flags, key positions,
ACL categories and docs of the commands ephpm serves, so COMMAND INFO,
COMMAND DOCS and the arity checks answer as Redis does.

usage: gen/commands.py REDIS_SRC_COMMANDS_DIR > commands_meta.go
"""
import json, os, sys

COMMANDS = """get set setnx setex psetex getset getdel getex mget mset msetnx incr decr
incrby decrby incrbyfloat append strlen getrange setrange del unlink exists type expire
pexpire expireat pexpireat expiretime pexpiretime persist ttl pttl keys scan randomkey
rename renamenx dbsize flushdb flushall multi exec discard ping echo quit auth hello
select client command info config time""".split()
SUBS = {
    "client": "id setname getname list info setinfo help".split(),
    "command": "count docs info help".split(),
    "config": "get help".split(),
}

def load(d, name):
    with open(os.path.join(d, name + ".json")) as f:
        (k, v), = json.load(f).items()
    return k, v

ORDER = """keyspace read write set sortedset list hash string bitmap hyperloglog geo stream
pubsub admin fast slow blocking dangerous connection transaction scripting""".split()

def implicit_acl(flags, acl):
    cats = [c.lower() for c in acl]
    if "write" in flags: cats.append("write")
    if "readonly" in flags and "scripting" not in cats: cats.append("read")
    if "admin" in flags: cats += ["admin", "dangerous"]
    if "fast" in flags: cats.append("fast")
    if "blocking" in flags: cats.append("blocking")
    if "fast" not in flags: cats.append("slow")
    # COMMAND INFO lists them in the order of Redis's category table
    # (acl.c ACLCommandCategories), not in the JSON's.
    cats = sorted(set(cats), key=ORDER.index)
    return ["@" + c for c in cats]

def keys(v):
    specs = v.get("key_specs") or []
    if not specs:
        return 0, 0, 0
    first = last = step = None
    for s in specs:
        pos = s["begin_search"].get("index", {}).get("pos")
        rng = s["find_keys"].get("range")
        if pos is None or rng is None:
            return 0, 0, 0
        lk = rng["lastkey"]
        l = pos + lk if lk >= 0 else lk
        if first is None:
            first, last, step = pos, l, rng["step"]
        else:
            last = l if l < 0 or last < 0 else max(last, l)
    return first, last, step

def go(s):
    return json.dumps(s)

def golist(l):
    return "[]string{" + ", ".join(json.dumps(x) for x in l) + "}"

# The command flags COMMAND INFO shows, in the order of Redis's table
# (server.c addReplyFlagsForCommand); may_replicate, sentinel,
# only_sentinel, protected and touches_arbitrary_keys are hidden there
# "on purpose", so they are not listed.
INFO_FLAGS = """write readonly denyoom module admin pubsub noscript blocking loading stale
skip_monitor skip_slowlog asking fast no_auth no_mandatory_keys no_async_loading no_multi
movablekeys allow_busy""".split()

# Key spec flags in the order of addReplyFlagsForKeyArgs.
KEY_FLAGS = "RO RW OW RM access update insert delete not_key incomplete variable_flags".split()

def movable(v):
    # populateCommandLegacyRangeSpec: a spec that is not index+range, an
    # incomplete one or one that cannot be glued makes the keys movable.
    specs = v.get("key_specs") or []
    if v.get("get_keys_function") is None and not specs:
        return False
    for s in specs:
        if "index" not in s["begin_search"] or "range" not in s["find_keys"]:
            return True
        if "INCOMPLETE" in s.get("flags", []):
            return True
    if len(specs) > 1:
        prev = 0
        for s in specs:
            pos, rng = s["begin_search"]["index"]["pos"], s["find_keys"]["range"]
            if rng["step"] != 1 or (prev and prev != pos - 1):
                return True
            lk = rng["lastkey"]
            prev = max(prev, pos + lk if lk >= 0 else lk)
    return False

def info_flags(v):
    fl = {f.lower() for f in v.get("command_flags", [])}
    if movable(v):
        fl.add("movablekeys")
    return [f for f in INFO_FLAGS if f in fl]

def keyspec(s):
    flags = {f if f in ("RO", "RW", "OW", "RM") else f.lower() for f in s.get("flags", [])}
    out = ["flags: " + golist([f for f in KEY_FLAGS if f in flags])]
    if s.get("notes"):
        out.append("notes: " + go(s["notes"]))
    bs, fk = s["begin_search"], s["find_keys"]
    if "index" in bs:
        out.append('bs: "index", bsIndex: %d' % bs["index"]["pos"])
    elif "keyword" in bs:
        out.append('bs: "keyword", bsKeyword: %s, bsStartFrom: %d' % (go(bs["keyword"]["keyword"]), bs["keyword"]["startfrom"]))
    else:
        out.append('bs: "unknown"')
    if "range" in fk:
        r = fk["range"]
        out.append('fk: "range", lastKey: %d, keyStep: %d, limit: %d' % (r["lastkey"], r["step"], r["limit"]))
    elif "keynum" in fk:
        k = fk["keynum"]
        out.append('fk: "keynum", keyNumIdx: %d, firstKey: %d, keyStep: %d' % (k["keynumidx"], k["firstkey"], k["step"]))
    else:
        out.append('fk: "unknown"')
    return "{" + ", ".join(out) + "}"

def arg(a):
    # As utils/generate-command-code.py builds redisCommandArg: the name
    # lower case, the token upper case, display text lower case.
    out = ["name: " + go(a["name"].lower()), "typ: " + go(a["type"]), "keySpec: %d" % a.get("key_spec_index", -1)]
    if a["type"] not in ("oneof", "block"):
        out.append("display: " + go(a.get("display", a["name"]).lower()))
    if a.get("token"):
        out.append("token: " + go(a["token"].upper()))
    for f, k in (("summary", "summary"), ("since", "since"), ("deprecated_since", "deprecatedSince")):
        if a.get(f):
            out.append(k + ": " + go(a[f]))
    fl = [n for n in ("optional", "multiple", "multiple_token") if a.get(n)]
    if fl:
        out.append("flags: " + golist(fl))
    if a["type"] in ("oneof", "block"):
        out.append("args: []cmdArg{" + ", ".join(arg(x) for x in a["arguments"]) + "}")
    return "{" + ", ".join(out) + "}"

def entry(name, v, indent):
    flags = [f.lower() for f in v.get("command_flags", [])]
    f, l, st = keys(v)
    s = (f'{indent}{{name: {go(name)}, arity: {v["arity"]}, flags: {golist(info_flags(v))}, '
         f'firstKey: {f}, lastKey: {l}, step: {st}, '
         f'acl: {golist(implicit_acl(flags, v.get("acl_categories", [])))}, '
         f'tips: {golist([t.lower() for t in v.get("command_tips", [])])}, '
         f'summary: {go(v["summary"])}, since: {go(v["since"])}, group: {go(v["group"])}, complexity: {go(v.get("complexity", ""))}')
    if v.get("key_specs"):
        s += ", keySpecs: []keySpec{" + ", ".join(keyspec(k) for k in v["key_specs"]) + "}"
    if v.get("doc_flags"):
        s += ", docFlags: " + golist([d.lower() for d in ("DEPRECATED", "SYSCMD") if d in v["doc_flags"]])
    if v.get("deprecated_since"):
        s += ", deprecatedSince: " + go(v["deprecated_since"])
    if v.get("replaced_by"):
        s += ", replacedBy: " + go(v["replaced_by"])
    if v.get("history"):
        s += ", history: [][2]string{" + ", ".join("{%s, %s}" % (go(a), go(b)) for a, b in v["history"]) + "}"
    if v.get("arguments"):
        s += ", args: []cmdArg{" + ", ".join(arg(a) for a in v["arguments"]) + "}"
    return s

def main():
    d = sys.argv[1]
    out = ["// Code generated by gen/commands.py from Redis's src/commands/*.json; DO NOT EDIT.", "", "package resp", "",
           "// redisCommands is the metadata of the Redis commands served here.", "var redisCommands = []*cmdMeta{"]
    for c in COMMANDS:
        _, v = load(d, c)
        line = entry(c, v, "\t")
        if c in SUBS:
            line += ", subs: []*cmdMeta{\n"
            for s in SUBS[c]:
                _, sv = load(d, c + "-" + s)
                line += entry(c + "|" + s, sv, "\t\t") + "},\n"
            line += "\t}"
        out.append(line + "},")
    out.append("}")
    print("\n".join(out))

main()
