/*
 * N-API binding of librdkafka's mock cluster API (rdkafka_mock.h), linked
 * against the librdkafka node-rdkafka builds, so one librdkafka serves both.
 * The mock cluster runs on librdkafka's own threads; every call here comes
 * from the JS thread and only posts work to them.
 */
#include <node_api.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mcluster;
} cluster_t;

#define CHECK_NAPI(env, call)                                  \
  do {                                                         \
    if ((call) != napi_ok) {                                   \
      napi_throw_error((env), NULL, "N-API call failed: " #call); \
      return NULL;                                             \
    }                                                          \
  } while (0)

static napi_value throw_kafka(napi_env env, const char *what, rd_kafka_resp_err_t err) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s failed: %s (%d)", what, rd_kafka_err2str(err), (int)err);
  napi_throw_error(env, "SEDA_BROKER_MOCK", msg);
  return NULL;
}

static napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

/* Reads the cluster handle (argv[0]) and fails if it was destroyed. */
static cluster_t *get_cluster(napi_env env, napi_value value) {
  cluster_t *c = NULL;
  if (napi_get_value_external(env, value, (void **)&c) != napi_ok || c == NULL || c->mcluster == NULL) {
    napi_throw_error(env, "SEDA_BROKER_STOPPED", "the embedded broker is stopped");
    return NULL;
  }
  return c;
}

static int get_int(napi_env env, napi_value v, int32_t *out, const char *name) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

static int get_string(napi_env env, napi_value v, char *buf, size_t size, const char *name) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || len == 0 || len >= size - 1) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a non-empty string of at most %d bytes", name, (int)size - 2);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

static void finalize_cluster(napi_env env, void *data, void *hint) {
  /* Stopped explicitly (destroy) or left to exit: never block the GC thread on teardown. */
  free(data);
}

/* create(brokerCount) -> handle */
static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t brokers = 3;
  if (argc >= 1 && !get_int(env, argv[0], &brokers, "brokers")) return NULL;
  if (brokers < 1 || brokers > 64) {
    napi_throw_range_error(env, NULL, "brokers must be between 1 and 64");
    return NULL;
  }
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == NULL) {
    napi_throw_error(env, "SEDA_BROKER_MOCK", errstr);
    return NULL;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == NULL) {
    rd_kafka_destroy(rk);
    napi_throw_error(env, "SEDA_BROKER_MOCK", "rd_kafka_mock_cluster_new failed");
    return NULL;
  }
  cluster_t *c = calloc(1, sizeof *c);
  c->rk = rk;
  c->mcluster = mc;
  napi_value handle;
  CHECK_NAPI(env, napi_create_external(env, c, finalize_cluster, NULL, &handle));
  return handle;
}

static napi_value bootstraps(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cluster_t *c = get_cluster(env, argv[0]);
  if (!c) return NULL;
  napi_value s;
  CHECK_NAPI(env, napi_create_string_utf8(env, rd_kafka_mock_cluster_bootstraps(c->mcluster), NAPI_AUTO_LENGTH, &s));
  return s;
}

/* topicCreate(handle, topic, partitions, replication) */
static napi_value topic_create(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cluster_t *c = get_cluster(env, argv[0]);
  if (!c) return NULL;
  char topic[256];
  int32_t partitions, replication;
  if (!get_string(env, argv[1], topic, sizeof topic, "topic") || !get_int(env, argv[2], &partitions, "partitions") ||
      !get_int(env, argv[3], &replication, "replication"))
    return NULL;
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(c->mcluster, topic, partitions, replication);
  if (err) return throw_kafka(env, "rd_kafka_mock_topic_create", err);
  return undefined(env);
}

/* rebalanceDelay(handle, ms) */
static napi_value rebalance_delay(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cluster_t *c = get_cluster(env, argv[0]);
  int32_t ms;
  if (!c || !get_int(env, argv[1], &ms, "ms")) return NULL;
  rd_kafka_mock_group_initial_rebalance_delay_ms(c->mcluster, ms);
  return undefined(env);
}

/* brokerDown(handle, id) / brokerUp(handle, id) */
static napi_value broker_state(napi_env env, napi_callback_info info, int up) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cluster_t *c = get_cluster(env, argv[0]);
  int32_t id;
  if (!c || !get_int(env, argv[1], &id, "broker id")) return NULL;
  rd_kafka_resp_err_t err = up ? rd_kafka_mock_broker_set_up(c->mcluster, id) : rd_kafka_mock_broker_set_down(c->mcluster, id);
  if (err) return throw_kafka(env, up ? "rd_kafka_mock_broker_set_up" : "rd_kafka_mock_broker_set_down", err);
  return undefined(env);
}
static napi_value broker_down(napi_env env, napi_callback_info info) { return broker_state(env, info, 0); }
static napi_value broker_up(napi_env env, napi_callback_info info) { return broker_state(env, info, 1); }

/* brokerRtt(handle, id, ms); id -1 = every broker */
static napi_value broker_rtt(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cluster_t *c = get_cluster(env, argv[0]);
  int32_t id, ms;
  if (!c || !get_int(env, argv[1], &id, "broker id") || !get_int(env, argv[2], &ms, "rtt ms")) return NULL;
  rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_rtt(c->mcluster, id, ms);
  if (err) return throw_kafka(env, "rd_kafka_mock_broker_set_rtt", err);
  return undefined(env);
}

/* pushRequestErrors(handle, apiKey, [errorCodes]) */
static napi_value push_request_errors(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cluster_t *c = get_cluster(env, argv[0]);
  int32_t api;
  if (!c || !get_int(env, argv[1], &api, "apiKey")) return NULL;
  uint32_t n = 0;
  if (napi_get_array_length(env, argv[2], &n) != napi_ok || n == 0 || n > 1000) {
    napi_throw_type_error(env, NULL, "errors must be an array of 1 to 1000 error codes");
    return NULL;
  }
  rd_kafka_resp_err_t *errs = calloc(n, sizeof *errs);
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    int32_t code;
    if (napi_get_element(env, argv[2], i, &el) != napi_ok || !get_int(env, el, &code, "error code")) {
      free(errs);
      return NULL;
    }
    errs[i] = (rd_kafka_resp_err_t)code;
  }
  rd_kafka_mock_push_request_errors_array(c->mcluster, (int16_t)api, n, errs);
  free(errs);
  return undefined(env);
}

/* clearRequestErrors(handle, apiKey) */
static napi_value clear_request_errors(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cluster_t *c = get_cluster(env, argv[0]);
  int32_t api;
  if (!c || !get_int(env, argv[1], &api, "apiKey")) return NULL;
  rd_kafka_mock_clear_request_errors(c->mcluster, (int16_t)api);
  return undefined(env);
}

/* partitionLeader(handle, topic, partition, brokerId) */
static napi_value partition_leader(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cluster_t *c = get_cluster(env, argv[0]);
  char topic[256];
  int32_t partition, broker;
  if (!c || !get_string(env, argv[1], topic, sizeof topic, "topic") || !get_int(env, argv[2], &partition, "partition") ||
      !get_int(env, argv[3], &broker, "broker id"))
    return NULL;
  rd_kafka_resp_err_t err = rd_kafka_mock_partition_set_leader(c->mcluster, topic, partition, broker);
  if (err) return throw_kafka(env, "rd_kafka_mock_partition_set_leader", err);
  return undefined(env);
}

typedef struct {
  cluster_t *c;
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mcluster;
  napi_async_work work;
  napi_deferred deferred;
} destroy_job_t;

static void destroy_execute(napi_env env, void *data) {
  destroy_job_t *job = data;
  rd_kafka_mock_cluster_destroy(job->mcluster);
  rd_kafka_destroy(job->rk);
}

static void destroy_complete(napi_env env, napi_status status, void *data) {
  destroy_job_t *job = data;
  napi_resolve_deferred(env, job->deferred, undefined(env));
  napi_delete_async_work(env, job->work);
  free(job);
}

/*
 * destroy(handle) -> Promise: stops the brokers on a worker thread, so a
 * teardown that waits on connected clients never blocks the event loop; the
 * caller bounds the wait.
 */
static napi_value destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_value promise;
  napi_deferred deferred;
  CHECK_NAPI(env, napi_create_promise(env, &deferred, &promise));
  cluster_t *c = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&c) != napi_ok || c == NULL || c->mcluster == NULL) {
    napi_resolve_deferred(env, deferred, undefined(env));
    return promise;
  }
  destroy_job_t *job = calloc(1, sizeof *job);
  job->c = c;
  job->rk = c->rk;
  job->mcluster = c->mcluster;
  job->deferred = deferred;
  napi_value name;
  CHECK_NAPI(env, napi_create_string_utf8(env, "seda_mock_destroy", NAPI_AUTO_LENGTH, &name));
  CHECK_NAPI(env, napi_create_async_work(env, NULL, name, destroy_execute, destroy_complete, job, &job->work));
  CHECK_NAPI(env, napi_queue_async_work(env, job->work));
  /* Calls made meanwhile see a stopped cluster rather than one being torn down. */
  c->mcluster = NULL;
  c->rk = NULL;
  return promise;
}

#define EXPORT(name, fn)                                                        \
  do {                                                                          \
    napi_value f;                                                               \
    if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f) != napi_ok || \
        napi_set_named_property(env, exports, name, f) != napi_ok)             \
      return NULL;                                                              \
  } while (0)

static napi_value init(napi_env env, napi_value exports) {
  EXPORT("create", create);
  EXPORT("bootstraps", bootstraps);
  EXPORT("topicCreate", topic_create);
  EXPORT("rebalanceDelay", rebalance_delay);
  EXPORT("brokerDown", broker_down);
  EXPORT("brokerUp", broker_up);
  EXPORT("brokerRtt", broker_rtt);
  EXPORT("pushRequestErrors", push_request_errors);
  EXPORT("clearRequestErrors", clear_request_errors);
  EXPORT("partitionLeader", partition_leader);
  EXPORT("destroy", destroy);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
