/*
 * Python binding of the native core: trustkit._native._tkcore.
 *
 * The only file that includes Python.h.  Arguments are fixed-length byte
 * strings (any bytes-like object) or messages; results are bytes, bools or
 * lists of them.  Expensive work runs with the GIL released, and the batch
 * functions spread items over POSIX threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/random.h>
#endif
#include <fcntl.h>
#include <unistd.h>

#include "ct.h"
#include "sm2_core.h"
#include "sm3.h"

/* Release the GIL for messages longer than this (hashing 4 KiB takes ~15 us). */
#define GIL_RELEASE_BYTES 4096

/* ---- helpers ------------------------------------------------------------------- */

static int get_buffer(PyObject *obj, Py_buffer *view, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a bytes-like object, not %.100s", name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return 0;
}

static int get_fixed(PyObject *obj, Py_buffer *view, Py_ssize_t len, const char *name) {
    if (get_buffer(obj, view, name) != 0) return -1;
    if (view->len != len) {
        PyErr_Format(PyExc_ValueError, "%s must be exactly %zd bytes, got %zd", name, len, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int check_nargs(Py_ssize_t nargs, Py_ssize_t want, const char *fname) {
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd arguments (%zd given)", fname, want, nargs);
        return -1;
    }
    return 0;
}

/* Fill buf from the OS CSPRNG (getrandom, or /dev/urandom). No caching. */
static int os_random(uint8_t *buf, size_t len) {
#if defined(__linux__)
    while (len) {
        ssize_t got = getrandom(buf, len, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            break;
        }
        buf += got;
        len -= (size_t)got;
    }
    if (!len) return 0;
#endif
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    while (len) {
        ssize_t got = read(fd, buf, len);
        if (got <= 0) {
            if (got < 0 && errno == EINTR) continue;
            close(fd);
            return -1;
        }
        buf += got;
        len -= (size_t)got;
    }
    close(fd);
    return 0;
}

/* DER SM2Signature (GB/T 35276 7.3) from r||s: minimal INTEGERs, at most 72 bytes.
 * Encoding only; signatures are parsed in Python. */
static Py_ssize_t der_integer(uint8_t *out, const uint8_t v[32]) {
    int skip = 0;
    while (skip < 31 && v[skip] == 0) skip++;
    int pad = v[skip] >> 7;
    int len = 32 - skip + pad;
    out[0] = 0x02;
    out[1] = (uint8_t)len;
    out[2] = 0;
    memcpy(out + 2 + pad, v + skip, (size_t)(32 - skip));
    return 2 + len;
}

static Py_ssize_t der_signature(uint8_t out[72], const uint8_t sig[64]) {
    Py_ssize_t n = der_integer(out + 2, sig);
    n += der_integer(out + 2 + n, sig + 32);
    out[0] = 0x30;
    out[1] = (uint8_t)n;
    return n + 2;
}

static PyObject *signature_object(const uint8_t sig[64], int der) {
    if (!der) return PyBytes_FromStringAndSize((const char *)sig, 64);
    uint8_t buf[72];
    Py_ssize_t n = der_signature(buf, sig);
    return PyBytes_FromStringAndSize((const char *)buf, n);
}

static PyObject *py_signature_to_der(PyObject *self, PyObject *arg) {
    Py_buffer sig;
    if (get_fixed(arg, &sig, 64, "raw signature")) return NULL;
    PyObject *out = signature_object(sig.buf, 1);
    PyBuffer_Release(&sig);
    return out;
}

/* ---- SM3 ------------------------------------------------------------------------ */

static PyObject *py_sm3_hash(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer data;
    uint8_t digest[32];
    if (check_nargs(nargs, 1, "sm3_hash") || get_buffer(args[0], &data, "data")) return NULL;
    if (data.len > GIL_RELEASE_BYTES) {
        Py_BEGIN_ALLOW_THREADS tk_sm3_hash(digest, data.buf, (size_t)data.len);
        Py_END_ALLOW_THREADS
    } else {
        tk_sm3_hash(digest, data.buf, (size_t)data.len);
    }
    PyBuffer_Release(&data);
    return PyBytes_FromStringAndSize((const char *)digest, 32);
}

static PyObject *py_hmac_sm3(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer key, data;
    uint8_t mac[32];
    if (check_nargs(nargs, 2, "hmac_sm3") || get_buffer(args[0], &key, "key")) return NULL;
    if (get_buffer(args[1], &data, "data")) {
        PyBuffer_Release(&key);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS tk_hmac_sm3(mac, key.buf, (size_t)key.len, data.buf, (size_t)data.len);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    return PyBytes_FromStringAndSize((const char *)mac, 32);
}

static PyObject *py_sm3_kdf(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer z;
    if (check_nargs(nargs, 2, "sm3_kdf") || get_buffer(args[0], &z, "z")) return NULL;
    Py_ssize_t length = PyLong_AsSsize_t(args[1]);
    if (length < 0) {
        PyBuffer_Release(&z);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "length must be non-negative");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, length);
    if (out) {
        uint8_t *p = (uint8_t *)PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS tk_sm3_kdf(p, (size_t)length, z.buf, (size_t)z.len);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&z);
    return out;
}

typedef struct {
    PyObject_HEAD
    tk_sm3_ctx ctx;
} SM3Object;

static PyTypeObject SM3Type;

static PyObject *sm3_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    if (PyTuple_GET_SIZE(args) != 0 || (kwargs && PyDict_GET_SIZE(kwargs) != 0)) {
        PyErr_SetString(PyExc_TypeError, "SM3() takes no arguments; call update() with the data");
        return NULL;
    }
    SM3Object *self = (SM3Object *)type->tp_alloc(type, 0);
    if (self) tk_sm3_init(&self->ctx);
    return (PyObject *)self;
}

static void sm3_dealloc(SM3Object *self) {
    tk_memzero(&self->ctx, sizeof self->ctx);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *sm3_update(SM3Object *self, PyObject *arg) {
    Py_buffer data;
    if (get_buffer(arg, &data, "data")) return NULL;
    if (data.len > GIL_RELEASE_BYTES) {
        /* The object may not be used from two threads at once; like hashlib, we
         * keep it simple and hold the GIL for the state update of short inputs only. */
        tk_sm3_ctx local = self->ctx;
        Py_BEGIN_ALLOW_THREADS tk_sm3_update(&local, data.buf, (size_t)data.len);
        Py_END_ALLOW_THREADS
        self->ctx = local;
    } else {
        tk_sm3_update(&self->ctx, data.buf, (size_t)data.len);
    }
    PyBuffer_Release(&data);
    Py_RETURN_NONE;
}

static PyObject *sm3_digest(SM3Object *self, PyObject *unused) {
    tk_sm3_ctx copy = self->ctx;
    uint8_t digest[32];
    tk_sm3_final(&copy, digest);
    return PyBytes_FromStringAndSize((const char *)digest, 32);
}

static PyObject *sm3_copy(SM3Object *self, PyObject *unused) {
    SM3Object *other = (SM3Object *)SM3Type.tp_alloc(&SM3Type, 0);
    if (other) other->ctx = self->ctx;
    return (PyObject *)other;
}

static PyMethodDef sm3_methods[] = {
    {"update", (PyCFunction)sm3_update, METH_O, "Absorb more data."},
    {"digest", (PyCFunction)sm3_digest, METH_NOARGS, "The 32-byte digest of the data so far."},
    {"copy", (PyCFunction)sm3_copy, METH_NOARGS, "An independent copy of the hash state."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SM3Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "trustkit._native._tkcore.SM3",
    .tp_basicsize = sizeof(SM3Object),
    .tp_dealloc = (destructor)sm3_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Streaming SM3 state (GB/T 32905).",
    .tp_methods = sm3_methods,
    .tp_new = sm3_new,
};

/* ---- SM2 single operations ------------------------------------------------------ */

static PyObject *py_backend_name(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(tk_sm2_backend_name());
}

static PyObject *py_check_private(PyObject *self, PyObject *arg) {
    Py_buffer d;
    if (get_fixed(arg, &d, 32, "private scalar")) return NULL;
    int ok = tk_sm2_scalar_check_private(d.buf) == TK_OK;
    PyBuffer_Release(&d);
    return PyBool_FromLong(ok);
}

static PyObject *py_generate_private(PyObject *self, PyObject *unused) {
    uint8_t d[32];
    for (int tries = 0; tries < 128; tries++) {
        if (os_random(d, 32) != 0) return PyErr_SetFromErrno(PyExc_OSError);
        if (tk_sm2_scalar_check_private(d) == TK_OK) {
            PyObject *out = PyBytes_FromStringAndSize((const char *)d, 32);
            tk_memzero(d, 32);
            return out;
        }
    }
    tk_memzero(d, 32);
    PyErr_SetString(PyExc_RuntimeError, "the OS random generator keeps returning out-of-range values");
    return NULL;
}

static PyObject *py_public_from_private(PyObject *self, PyObject *arg) {
    Py_buffer d;
    uint8_t pub[65];
    int rc;
    if (get_fixed(arg, &d, 32, "private scalar")) return NULL;
    Py_BEGIN_ALLOW_THREADS rc = tk_sm2_public_from_private(pub, d.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&d);
    if (rc != TK_OK) {
        PyErr_SetString(PyExc_ValueError, "private key must be in [1, n-2]");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)pub, 65);
}

static PyObject *py_sign_prepare(PyObject *self, PyObject *arg) {
    Py_buffer d;
    uint8_t dp[32];
    int rc;
    if (get_fixed(arg, &d, 32, "private scalar")) return NULL;
    Py_BEGIN_ALLOW_THREADS rc = tk_sm2_sign_prepare(dp, d.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&d);
    if (rc != TK_OK) {
        PyErr_SetString(PyExc_ValueError, "private key must be in [1, n-2]");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize((const char *)dp, 32);
    tk_memzero(dp, 32);
    return out;
}

static PyObject *py_compute_z(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer uid, pub;
    uint8_t z[32];
    if (check_nargs(nargs, 2, "compute_z") || get_buffer(args[0], &uid, "uid")) return NULL;
    if (get_fixed(args[1], &pub, 65, "public key")) {
        PyBuffer_Release(&uid);
        return NULL;
    }
    int rc = tk_sm2_compute_z(z, uid.buf, (size_t)uid.len, pub.buf);
    PyBuffer_Release(&uid);
    PyBuffer_Release(&pub);
    if (rc != TK_OK) {
        PyErr_Format(PyExc_ValueError, "the SM2 signer ID may be at most %d bytes (ENTL is 16 bits)",
                     TK_SM2_MAX_ID_BYTES);
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)z, 32);
}

static PyObject *py_compute_e(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer z, msg;
    uint8_t e[32];
    if (check_nargs(nargs, 2, "compute_e") || get_fixed(args[0], &z, 32, "Z")) return NULL;
    if (get_buffer(args[1], &msg, "data")) {
        PyBuffer_Release(&z);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS tk_sm2_compute_e(e, z.buf, msg.buf, (size_t)msg.len);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&z);
    PyBuffer_Release(&msg);
    return PyBytes_FromStringAndSize((const char *)e, 32);
}

/* sign(d, dprime, z, message, der) and sign_digest(d, dprime, e, der) share this. */
static PyObject *sign_common(PyObject *const *args, int with_message, int der) {
    Py_buffer d, dp, ze, msg = {0};
    uint8_t sig[64], entropy[32], e[32];
    int rc = TK_ERR;
    if (get_fixed(args[0], &d, 32, "private scalar")) return NULL;
    if (get_fixed(args[1], &dp, 32, "prepared scalar")) goto out_d;
    if (get_fixed(args[2], &ze, 32, with_message ? "Z" : "digest")) goto out_dp;
    if (with_message && get_buffer(args[3], &msg, "data")) goto out_ze;
    if (os_random(entropy, 32) != 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        goto out_msg;
    }
    Py_BEGIN_ALLOW_THREADS
    if (with_message) {
        tk_sm2_compute_e(e, ze.buf, msg.buf, (size_t)msg.len);
    } else {
        memcpy(e, ze.buf, 32);
    }
    rc = tk_sm2_sign_digest(sig, d.buf, dp.buf, e, entropy);
    Py_END_ALLOW_THREADS
    if (rc != TK_OK) PyErr_SetString(PyExc_RuntimeError, "SM2 signing failed to find a valid nonce");
out_msg:
    if (with_message) PyBuffer_Release(&msg);
out_ze:
    PyBuffer_Release(&ze);
out_dp:
    PyBuffer_Release(&dp);
out_d:
    PyBuffer_Release(&d);
    tk_memzero(entropy, sizeof entropy);
    if (rc != TK_OK) return NULL;
    return signature_object(sig, der);
}

static PyObject *py_sign(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (check_nargs(nargs, 5, "sign")) return NULL;
    int der = PyObject_IsTrue(args[4]);
    if (der < 0) return NULL;
    return sign_common(args, 1, der);
}

static PyObject *py_sign_digest(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (check_nargs(nargs, 4, "sign_digest")) return NULL;
    int der = PyObject_IsTrue(args[3]);
    if (der < 0) return NULL;
    return sign_common(args, 0, der);
}

/* Test hook: returns the signature, or None when the standard rejects k. */
static PyObject *py_sign_digest_with_nonce(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer b[4];
    static const char *names[4] = {"private scalar", "prepared scalar", "digest", "nonce"};
    uint8_t sig[64];
    if (check_nargs(nargs, 4, "sign_digest_with_nonce")) return NULL;
    for (int i = 0; i < 4; i++) {
        if (get_fixed(args[i], &b[i], 32, names[i])) {
            while (i--) PyBuffer_Release(&b[i]);
            return NULL;
        }
    }
    int rc = tk_sm2_sign_digest_with_nonce(sig, b[0].buf, b[1].buf, b[2].buf, b[3].buf);
    for (int i = 0; i < 4; i++) PyBuffer_Release(&b[i]);
    if (rc == TK_RETRY) Py_RETURN_NONE;
    if (rc != TK_OK) {
        PyErr_SetString(PyExc_ValueError, "signing failed");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)sig, 64);
}

static int get_table(PyObject *obj, Py_buffer *view) {
    if (obj == Py_None) return 0;
    return get_fixed(obj, view, (Py_ssize_t)TK_SM2_VERIFY_TABLE_BYTES, "verification table");
}

/* verify(pub, table_or_None, z, message, sig) -> bool */
static PyObject *verify_common(PyObject *const *args, int with_message) {
    Py_buffer pub, table = {0}, ze, msg = {0}, sig;
    int have_table = args[1] != Py_None;
    int rc = TK_ERR;
    PyObject *result = NULL;
    if (get_fixed(args[0], &pub, 65, "public key")) return NULL;
    if (get_table(args[1], &table)) goto out_pub;
    if (get_fixed(args[2], &ze, 32, with_message ? "Z" : "digest")) goto out_table;
    if (with_message && get_buffer(args[3], &msg, "data")) goto out_ze;
    if (get_fixed(args[with_message ? 4 : 3], &sig, 64, "raw signature")) goto out_msg;
    Py_BEGIN_ALLOW_THREADS
    uint8_t e[32];
    if (with_message) {
        tk_sm2_compute_e(e, ze.buf, msg.buf, (size_t)msg.len);
    } else {
        memcpy(e, ze.buf, 32);
    }
    rc = have_table ? tk_sm2_verify_digest_table_vartime(table.buf, e, sig.buf)
                    : tk_sm2_verify_digest_vartime(pub.buf, e, sig.buf);
    Py_END_ALLOW_THREADS
    result = PyBool_FromLong(rc == TK_OK);
    PyBuffer_Release(&sig);
out_msg:
    if (with_message) PyBuffer_Release(&msg);
out_ze:
    PyBuffer_Release(&ze);
out_table:
    if (have_table) PyBuffer_Release(&table);
out_pub:
    PyBuffer_Release(&pub);
    return result;
}

static PyObject *py_verify(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (check_nargs(nargs, 5, "verify")) return NULL;
    return verify_common(args, 1);
}

static PyObject *py_verify_digest(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (check_nargs(nargs, 4, "verify_digest")) return NULL;
    return verify_common(args, 0);
}

static PyObject *py_verify_table_build(PyObject *self, PyObject *arg) {
    Py_buffer pub;
    int rc;
    if (get_fixed(arg, &pub, 65, "public key")) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)TK_SM2_VERIFY_TABLE_BYTES);
    if (!out) {
        PyBuffer_Release(&pub);
        return NULL;
    }
    uint8_t *table = (uint8_t *)PyBytes_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS rc = tk_sm2_verify_table_build_vartime(table, pub.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&pub);
    if (rc != TK_OK) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_ValueError, "invalid public key");
        return NULL;
    }
    return out;
}

static PyObject *py_point_check(PyObject *self, PyObject *arg) {
    Py_buffer pub;
    if (get_fixed(arg, &pub, 65, "public key")) return NULL;
    int ok = tk_sm2_point_check_vartime(pub.buf) == TK_OK;
    PyBuffer_Release(&pub);
    return PyBool_FromLong(ok);
}

static PyObject *py_point_decompress(PyObject *self, PyObject *arg) {
    Py_buffer in;
    uint8_t out[65];
    if (get_fixed(arg, &in, 33, "compressed point")) return NULL;
    int rc = tk_sm2_point_decompress_vartime(out, in.buf);
    PyBuffer_Release(&in);
    if (rc != TK_OK) {
        PyErr_SetString(PyExc_ValueError, "not a valid compressed point on sm2p256v1");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)out, 65);
}

static PyObject *py_point_mul(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer k, pt;
    uint8_t out[65];
    int rc;
    if (check_nargs(nargs, 2, "point_mul") || get_fixed(args[0], &k, 32, "scalar")) return NULL;
    if (get_fixed(args[1], &pt, 65, "point")) {
        PyBuffer_Release(&k);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS rc = tk_sm2_point_mul_ct(out, k.buf, pt.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&k);
    PyBuffer_Release(&pt);
    if (rc != TK_OK) {
        PyErr_SetString(PyExc_ValueError, "invalid point or scalar");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)out, 65);
}

static PyObject *py_base_mul(PyObject *self, PyObject *arg) {
    Py_buffer k;
    uint8_t out[65];
    int rc;
    if (get_fixed(arg, &k, 32, "scalar")) return NULL;
    Py_BEGIN_ALLOW_THREADS rc = tk_sm2_base_mul_ct(out, k.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&k);
    if (rc != TK_OK) {
        PyErr_SetString(PyExc_ValueError, "scalar is zero modulo n");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)out, 65);
}

/* ---- batches ---------------------------------------------------------------------- */

typedef struct {
    /* shared inputs */
    const uint8_t *d, *dprime, *z;
    /* per item */
    Py_buffer *msgs;
    Py_buffer *pubs, *tables, *zs, *sigs; /* verify only */
    const uint8_t *entropy;               /* 32 bytes per item, sign only */
    uint8_t *out;                         /* 64 bytes per item (sign) or 1 byte (verify) */
    int *status;
    Py_ssize_t begin, end;
    int is_sign;
} batch_job;

static void *batch_worker(void *arg) {
    batch_job *job = (batch_job *)arg;
    uint8_t e[32];
    for (Py_ssize_t i = job->begin; i < job->end; i++) {
        if (job->is_sign) {
            tk_sm2_compute_e(e, job->z, job->msgs[i].buf, (size_t)job->msgs[i].len);
            job->status[i] = tk_sm2_sign_digest(job->out + 64 * i, job->d, job->dprime, e,
                                                job->entropy + 32 * i);
        } else {
            tk_sm2_compute_e(e, job->zs[i].buf, job->msgs[i].buf, (size_t)job->msgs[i].len);
            int rc = job->tables[i].buf
                         ? tk_sm2_verify_digest_table_vartime(job->tables[i].buf, e, job->sigs[i].buf)
                         : tk_sm2_verify_digest_vartime(job->pubs[i].buf, e, job->sigs[i].buf);
            job->out[i] = rc == TK_OK;
            job->status[i] = TK_OK;
        }
    }
    return NULL;
}

/* Split [0, count) over `threads` workers; the calling thread takes the first share. */
static void run_batch(batch_job *proto, Py_ssize_t count, int threads) {
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    if (threads > count) threads = count > 0 ? (int)count : 1;
    batch_job jobs[64];
    pthread_t tids[64];
    int started[64] = {0};
    Py_ssize_t per = count / threads, extra = count % threads, at = 0;
    for (int t = 0; t < threads; t++) {
        jobs[t] = *proto;
        jobs[t].begin = at;
        at += per + (t < extra ? 1 : 0);
        jobs[t].end = at;
    }
    for (int t = 1; t < threads; t++) started[t] = pthread_create(&tids[t], NULL, batch_worker, &jobs[t]) == 0;
    batch_worker(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) {
            pthread_join(tids[t], NULL);
        } else {
            batch_worker(&jobs[t]); /* could not start a thread: do its share here */
        }
    }
}

/* sign_many(d, dprime, z, messages: sequence, threads, der) -> list[bytes] */
static PyObject *py_sign_many(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer d, dp, z;
    PyObject *seq = NULL, *result = NULL;
    Py_buffer *msgs = NULL;
    uint8_t *out = NULL, *entropy = NULL;
    int *status = NULL;
    Py_ssize_t count = 0, got = 0;
    if (check_nargs(nargs, 6, "sign_many")) return NULL;
    int threads = (int)PyLong_AsLong(args[4]);
    if (threads == -1 && PyErr_Occurred()) return NULL;
    int der = PyObject_IsTrue(args[5]);
    if (der < 0) return NULL;
    if (get_fixed(args[0], &d, 32, "private scalar")) return NULL;
    if (get_fixed(args[1], &dp, 32, "prepared scalar")) goto out_d;
    if (get_fixed(args[2], &z, 32, "Z")) goto out_dp;
    seq = PySequence_Fast(args[3], "messages must be a sequence of bytes-like objects");
    if (!seq) goto out_z;
    count = PySequence_Fast_GET_SIZE(seq);
    msgs = PyMem_Calloc((size_t)count + 1, sizeof(Py_buffer));
    out = PyMem_Malloc((size_t)count * 64 + 1);
    entropy = PyMem_Malloc((size_t)count * 32 + 1);
    status = PyMem_Calloc((size_t)count + 1, sizeof(int));
    if (!msgs || !out || !entropy || !status) {
        PyErr_NoMemory();
        goto out_all;
    }
    for (; got < count; got++)
        if (get_buffer(PySequence_Fast_GET_ITEM(seq, got), &msgs[got], "message")) goto out_all;
    if (count && os_random(entropy, (size_t)count * 32) != 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        goto out_all;
    }
    batch_job proto = {.d = d.buf, .dprime = dp.buf, .z = z.buf, .msgs = msgs, .entropy = entropy,
                       .out = out, .status = status, .is_sign = 1};
    Py_BEGIN_ALLOW_THREADS run_batch(&proto, count, threads);
    Py_END_ALLOW_THREADS
    result = PyList_New(count);
    if (!result) goto out_all;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (status[i] != TK_OK) {
            Py_CLEAR(result);
            PyErr_SetString(PyExc_RuntimeError, "SM2 signing failed to find a valid nonce");
            goto out_all;
        }
        PyObject *sig = signature_object(out + 64 * i, der);
        if (!sig) {
            Py_CLEAR(result);
            goto out_all;
        }
        PyList_SET_ITEM(result, i, sig);
    }
out_all:
    for (Py_ssize_t i = 0; i < got; i++) PyBuffer_Release(&msgs[i]);
    if (entropy) tk_memzero(entropy, (size_t)count * 32);
    PyMem_Free(msgs);
    PyMem_Free(out);
    PyMem_Free(entropy);
    PyMem_Free(status);
    Py_XDECREF(seq);
out_z:
    PyBuffer_Release(&z);
out_dp:
    PyBuffer_Release(&dp);
out_d:
    PyBuffer_Release(&d);
    return result;
}

/* verify_many(items: sequence of (pub65, table|None, z32, message, sig64), threads) -> list[bool] */
static PyObject *py_verify_many(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *seq = NULL, *result = NULL;
    Py_buffer *bufs = NULL;
    uint8_t *out = NULL;
    int *status = NULL;
    Py_ssize_t count = 0, got = 0;
    if (check_nargs(nargs, 2, "verify_many")) return NULL;
    int threads = (int)PyLong_AsLong(args[1]);
    if (threads == -1 && PyErr_Occurred()) return NULL;
    seq = PySequence_Fast(args[0], "items must be a sequence of tuples");
    if (!seq) return NULL;
    count = PySequence_Fast_GET_SIZE(seq);
    /* five buffer arrays laid out one after another */
    bufs = PyMem_Calloc((size_t)count * 5 + 1, sizeof(Py_buffer));
    out = PyMem_Calloc((size_t)count + 1, 1);
    status = PyMem_Calloc((size_t)count + 1, sizeof(int));
    if (!bufs || !out || !status) {
        PyErr_NoMemory();
        goto out_all;
    }
    Py_buffer *pubs = bufs, *tables = bufs + count, *zs = bufs + 2 * count, *msgs = bufs + 3 * count,
              *sigs = bufs + 4 * count;
    for (; got < count; got++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, got);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 5) {
            PyErr_SetString(PyExc_TypeError, "each item must be (public key, table, Z, message, signature)");
            goto out_all;
        }
        int bad = get_fixed(PyTuple_GET_ITEM(item, 0), &pubs[got], 65, "public key");
        if (!bad && PyTuple_GET_ITEM(item, 1) != Py_None)
            bad = get_table(PyTuple_GET_ITEM(item, 1), &tables[got]);
        if (!bad) bad = get_fixed(PyTuple_GET_ITEM(item, 2), &zs[got], 32, "Z");
        if (!bad) bad = get_buffer(PyTuple_GET_ITEM(item, 3), &msgs[got], "message");
        if (!bad) bad = get_fixed(PyTuple_GET_ITEM(item, 4), &sigs[got], 64, "raw signature");
        if (bad) {
            /* release what this item already holds; earlier items are released below */
            if (pubs[got].obj) PyBuffer_Release(&pubs[got]);
            if (tables[got].obj) PyBuffer_Release(&tables[got]);
            if (zs[got].obj) PyBuffer_Release(&zs[got]);
            if (msgs[got].obj) PyBuffer_Release(&msgs[got]);
            goto out_all;
        }
    }
    batch_job proto = {.msgs = msgs, .pubs = pubs, .tables = tables, .zs = zs, .sigs = sigs,
                       .out = out, .status = status, .is_sign = 0};
    Py_BEGIN_ALLOW_THREADS run_batch(&proto, count, threads);
    Py_END_ALLOW_THREADS
    result = PyList_New(count);
    if (!result) goto out_all;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *b = out[i] ? Py_True : Py_False;
        Py_INCREF(b);
        PyList_SET_ITEM(result, i, b);
    }
out_all:
    if (bufs) {
        for (Py_ssize_t i = 0; i < got; i++)
            for (int f = 0; f < 5; f++)
                if (bufs[f * count + i].obj) PyBuffer_Release(&bufs[f * count + i]);
    }
    PyMem_Free(bufs);
    PyMem_Free(out);
    PyMem_Free(status);
    Py_XDECREF(seq);
    return result;
}

/* ---- module ------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"sm3_hash", (PyCFunction)(void (*)(void))py_sm3_hash, METH_FASTCALL, "sm3_hash(data) -> 32 bytes"},
    {"hmac_sm3", (PyCFunction)(void (*)(void))py_hmac_sm3, METH_FASTCALL, "hmac_sm3(key, data) -> 32 bytes"},
    {"sm3_kdf", (PyCFunction)(void (*)(void))py_sm3_kdf, METH_FASTCALL, "sm3_kdf(z, length) -> bytes"},
    {"backend_name", py_backend_name, METH_NOARGS, "Field backend in use: 'adx' or 'portable'."},
    {"check_private", py_check_private, METH_O, "check_private(d32) -> bool: d in [1, n-2]"},
    {"generate_private", py_generate_private, METH_NOARGS, "A fresh private scalar from the OS CSPRNG."},
    {"public_from_private", py_public_from_private, METH_O, "public_from_private(d32) -> 04||X||Y"},
    {"sign_prepare", py_sign_prepare, METH_O, "sign_prepare(d32) -> (1+d)^-1 mod n"},
    {"compute_z", (PyCFunction)(void (*)(void))py_compute_z, METH_FASTCALL, "compute_z(uid, pub65) -> Z"},
    {"compute_e", (PyCFunction)(void (*)(void))py_compute_e, METH_FASTCALL, "compute_e(z32, data) -> e"},
    {"sign", (PyCFunction)(void (*)(void))py_sign, METH_FASTCALL,
     "sign(d, dprime, z, data, der) -> DER signature if der else r||s"},
    {"sign_digest", (PyCFunction)(void (*)(void))py_sign_digest, METH_FASTCALL,
     "sign_digest(d, dprime, e, der) -> DER signature if der else r||s"},
    {"signature_to_der", py_signature_to_der, METH_O, "signature_to_der(r||s) -> DER SM2Signature"},
    {"sign_digest_with_nonce", (PyCFunction)(void (*)(void))py_sign_digest_with_nonce, METH_FASTCALL,
     "Test hook: sign_digest_with_nonce(d, dprime, e, k) -> r||s, or None if k is rejected."},
    {"verify", (PyCFunction)(void (*)(void))py_verify, METH_FASTCALL,
     "verify(pub65, table|None, z, data, sig64) -> bool"},
    {"verify_digest", (PyCFunction)(void (*)(void))py_verify_digest, METH_FASTCALL,
     "verify_digest(pub65, table|None, e, sig64) -> bool"},
    {"verify_table_build", py_verify_table_build, METH_O, "verify_table_build(pub65) -> table bytes"},
    {"point_check", py_point_check, METH_O, "point_check(pub65) -> bool"},
    {"point_decompress", py_point_decompress, METH_O, "point_decompress(b33) -> 04||X||Y"},
    {"point_mul", (PyCFunction)(void (*)(void))py_point_mul, METH_FASTCALL,
     "point_mul(k32, point65) -> k*point (constant time in k)"},
    {"base_mul", py_base_mul, METH_O, "base_mul(k32) -> k*G (constant time in k)"},
    {"sign_many", (PyCFunction)(void (*)(void))py_sign_many, METH_FASTCALL,
     "sign_many(d, dprime, z, messages, threads, der) -> list of signatures"},
    {"verify_many", (PyCFunction)(void (*)(void))py_verify_many, METH_FASTCALL,
     "verify_many(items, threads) -> list of bool"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_tkcore", "trustkit native SM2/SM3 core.", -1, methods,
};

PyMODINIT_FUNC PyInit__tkcore(void) {
    /* TRUSTKIT_NATIVE_BACKEND=portable forces the portable field code, so tests can
     * check both backends on a machine that has MULX/ADX. */
    const char *want = getenv("TRUSTKIT_NATIVE_BACKEND");
    int rc = (want && strcmp(want, "portable") == 0) ? tk_sm2_init_portable() : tk_sm2_init();
    if (rc != TK_OK) return PyErr_NoMemory();
    if (PyType_Ready(&SM3Type) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&SM3Type);
    if (PyModule_AddObject(m, "SM3", (PyObject *)&SM3Type) < 0 ||
        PyModule_AddIntConstant(m, "VERIFY_TABLE_BYTES", (long)TK_SM2_VERIFY_TABLE_BYTES) < 0 ||
        PyModule_AddIntConstant(m, "MAX_ID_BYTES", TK_SM2_MAX_ID_BYTES) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
