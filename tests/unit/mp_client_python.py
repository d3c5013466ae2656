#!/usr/bin/python3
"""client_python's side of the multi-process tests (test_multiprocess.c).

keys          print the mmap keys and le texts client_python writes for a
              fixed set of series, one per line, for the C test to compare
write DIR N   N processes write the shared metric set into DIR
compare DIR FILE
              exit 0 when client_python's MultiProcessCollector aggregate
              of DIR has exactly the samples (names, labels, values), types
              and help texts of the text exposition in FILE (promc's)
"""
import math
import os
import sys


def keys():
    from prometheus_client.mmap_dict import mmap_key
    from prometheus_client.utils import floatToGoString
    print(mmap_key('jobs', 'jobs_total', ['kind', 'at'], ['a', 'b'], 'Jobs done.'))
    print(mmap_key('q', 'q', ['z'], ['caf\u00e9 "x"\\\n\t\u20ac\U0001f600\x01\x7f'],
                   'Help with "quotes" and \u00fc.'))
    print(mmap_key('h', 'h_bucket', ['le', 'path'], ['0.5', '/x'], ''))
    for b in [0.005, 0.1, 1, 2.5, 10, 1e-05, 123456789.0, 1e16, 1e22, 1234567.0, 0.25e-10,
              float('inf'), 100, 1e6, 5e-324, 1.7976931348623157e308]:
        print(floatToGoString(b))


MODES = ['all', 'liveall', 'min', 'livemin', 'max', 'livemax', 'sum', 'livesum']


def modes():
    """The gauge modes of the client_python installed: 0.18 and later add
    the mostrecent ones (and write timestamps)."""
    from prometheus_client import Gauge
    extra = ['mostrecent', 'livemostrecent']
    return MODES + [m for m in extra if m in getattr(Gauge, '_MULTIPROC_MODES', ())]


def write(d, n):
    os.environ['PROMETHEUS_MULTIPROC_DIR'] = d
    pids = []
    for i in range(n):
        pid = os.fork()
        if pid == 0:
            from prometheus_client import Counter, Gauge, Histogram, Summary
            c = Counter('jobs', 'Jobs done.', ['kind'])
            c.labels('a').inc(3)
            c.labels('b').inc(1.5)
            for m in modes():
                Gauge('temp_' + m, 'Temperature.', multiprocess_mode=m).set(10 * (i + 1))
            h = Histogram('latency_seconds', 'Latency.', ['path'], buckets=[0.005, 0.1, 1, 2.5])
            for v in (0.003, 0.5, 7):
                h.labels('/x').observe(v)
            Summary('size_bytes', 'Sizes.').observe(12)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if status != 0:
            sys.exit(1)


def samples_of(families, skip=()):
    out = {}
    meta = {}
    for f in families:
        if f.name in skip:
            continue
        meta[f.name] = (f.type, f.documentation)
        for s in f.samples:
            labels = dict(s.labels)
            for k in ('le', 'quantile'):
                if k in labels:  # "1" and "1.0" are the same bound
                    labels[k] = repr(float(labels[k]))
            key = (s.name, tuple(sorted(labels.items())))
            if key in out:
                out[key] = ('duplicate', out[key], s.value)
            else:
                out[key] = s.value
    return out, meta


def same(a, b):
    if isinstance(a, tuple) or isinstance(b, tuple):
        return False
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def compare(d, path):
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector
    from prometheus_client.parser import text_string_to_metric_families
    reg = CollectorRegistry()
    MultiProcessCollector(reg, path=d)
    py, py_meta = samples_of(reg.collect())
    with open(path) as f:
        c, c_meta = samples_of(text_string_to_metric_families(f.read()),
                               skip=('promc_multiprocess_refused_files',))
    ok = True
    for k in sorted(set(py) | set(c)):
        if k not in py or k not in c or not same(py[k], c[k]):
            print('sample %r: client_python %r, promc %r' % (k, py.get(k), c.get(k)))
            ok = False
    for k in sorted(set(py_meta) | set(c_meta)):
        if py_meta.get(k) != c_meta.get(k):
            print('family %r: client_python %r, promc %r' % (k, py_meta.get(k), c_meta.get(k)))
            ok = False
    if not py:
        print('no samples at all')
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    if sys.argv[1] == 'keys':
        keys()
    elif sys.argv[1] == 'write':
        write(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == 'compare':
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(2)
