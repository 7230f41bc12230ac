"""Writes corpus.jsonl (one case a line): JSON-like texts, mutated at random (seeded), each with what CPython's json.loads
makes of it: the value (numbers as floats, tagged) or its error message and character offset.
Run with CPython 3.11 or 3.12 (3.13 words trailing commas differently): python3 generate.py"""
import json, math, random, sys

rnd = random.Random(20260215)
ATOMS = ['0', '-0', '1', '-1', '01', '1.', '1.5', '-1.5e3', '1e', '1e+', '1E-2', '.5', '-', 'NaN', 'Infinity',
         '-Infinity', 'nan', 'null', 'nul', 'true', 'tru', 'false', '"a"', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"',
         '"\\ud800\\u0041"', '"\\u12"', '"\\x"', '"\\"', '"😀"', '"é"', '"\t"', '"a\nb"', '[]', '{}', '"\\/"', '1e400']

def gen(depth):
    r = rnd.random()
    if depth > 3 or r < 0.4:
        return rnd.choice(ATOMS)
    n = rnd.randrange(4)
    if r < 0.7:
        sep = rnd.choice([',', ',', ', ', ' ,'])
        return '[' + sep.join(rnd.choice([' ', '', '\n']) + gen(depth + 1) for _ in range(n)) + ']'
    sep = rnd.choice([',', ', '])
    return '{' + sep.join(rnd.choice(['"k%d"' % i, '"😀%d"' % i, 'k', "'k'", '"k"']) + rnd.choice([':', ' : ', '', ' '])
                          + gen(depth + 1) for i in range(n)) + '}'

def mutate(s):
    for _ in range(rnd.randrange(3)):
        at = rnd.randrange(len(s) + 1)
        r = rnd.random()
        if r < 0.3:
            s = s[:at] + s[at + 1:]
        elif r < 0.6:
            s = s[:at] + rnd.choice(['"', ',', ':', '[', ']', '{', '}', ' ', '\\', 'x', '\x01', '😀', '\ud800']) + s[at:]
        else:
            s = s[:at]
    return s

def canon(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        f = float(v)
        return ['n', f if math.isfinite(f) else str(f)]
    if isinstance(v, str):
        return ['s', v]
    if isinstance(v, list):
        return ['a', [canon(x) for x in v]]
    return ['o', [[k, canon(x)] for k, x in v.items()]]

cases = []
for _ in range(2000):
    text = gen(0)
    if rnd.random() < 0.7:
        text = mutate(text)
    try:
        cases.append({'text': text, 'value': canon(json.loads(text))})
    except json.JSONDecodeError as e:
        cases.append({'text': text, 'error': e.msg, 'at': e.pos})
with open('corpus.jsonl', 'w') as f:
    f.write(json.dumps({'python': sys.version.split()[0]}) + '\n')
    for case in cases:
        f.write(json.dumps(case, ensure_ascii=True, separators=(',', ':')) + '\n')
