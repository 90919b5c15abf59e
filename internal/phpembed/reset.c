/*
 * Worker mode: what PHP's request shutdown would have reset, reset between
 * two requests served by the same worker script run.
 *
 * A worker script run is one long PHP request, so php_request_shutdown
 * never runs between the HTTP requests it serves: ini_set() values,
 * putenv(), $_ENV, setlocale(), chdir() and the session module's state
 * would carry over from one client's request into the next. worker.c
 * already rebuilds the SAPI state (superglobals, headers, status, output
 * buffers); this file does the rest.
 *
 * The baseline is the state when the run takes its first request: what the
 * worker script set up while booting stays. After every request the state
 * is put back to that baseline, and each item is only touched when it
 * changed (a hot-path request that changed nothing pays a few compares):
 *   - ini: EG(modified_ini_directives) against the boot's modified entries
 *     (set_time_limit() is the max_execution_time entry);
 *   - putenv(), setlocale(), chdir(), date_default_timezone_set(), umask():
 *     the PHP functions are wrapped to set a flag (PHP keeps no cheap
 *     "changed" mark of its own that a boot could not have set already);
 *   - $_ENV: the symbol table's array against the baseline array (a write
 *     separates it, so a different pointer means it was changed);
 *   - the session: its status, id, data or handler differ from none.
 */
#include "php.h"
#include "php_main.h"
#include "php_ini.h"
#include "SAPI.h"
#include "zend_ini.h"
#include "zend_exceptions.h"
#include "ext/standard/basic_functions.h"
#include "ext/standard/php_filestat.h"
#include "ext/session/php_session.h"
#include "ext/date/php_date.h"

#include <locale.h>

#include "ephpm_internal.h"

/* ---- change flags, set by the wrapped PHP functions ---- */

#define DIRTY_ENV 1
#define DIRTY_LOCALE 2
#define DIRTY_CWD 4
#define DIRTY_TZ 8
#define DIRTY_UMASK 16
static __thread int dirty;

static zif_handler orig_putenv, orig_setlocale, orig_chdir, orig_tzset, orig_umask;

static ZEND_NAMED_FUNCTION(wrap_putenv)
{
	dirty |= DIRTY_ENV;
	orig_putenv(INTERNAL_FUNCTION_PARAM_PASSTHRU);
}

static ZEND_NAMED_FUNCTION(wrap_setlocale)
{
	dirty |= DIRTY_LOCALE;
	orig_setlocale(INTERNAL_FUNCTION_PARAM_PASSTHRU);
}

static ZEND_NAMED_FUNCTION(wrap_chdir)
{
	dirty |= DIRTY_CWD;
	orig_chdir(INTERNAL_FUNCTION_PARAM_PASSTHRU);
}

static ZEND_NAMED_FUNCTION(wrap_tzset)
{
	dirty |= DIRTY_TZ;
	orig_tzset(INTERNAL_FUNCTION_PARAM_PASSTHRU);
}

static ZEND_NAMED_FUNCTION(wrap_umask)
{
	dirty |= DIRTY_UMASK;
	orig_umask(INTERNAL_FUNCTION_PARAM_PASSTHRU);
}

static void wrap(const char *name, zif_handler *orig, zif_handler with)
{
	zend_function *f = zend_hash_str_find_ptr(CG(function_table), name, strlen(name));
	if (f && f->type == ZEND_INTERNAL_FUNCTION) {
		*orig = f->internal_function.handler;
		f->internal_function.handler = with;
	}
}

/* The superglobals looked up after every request, as permanent interned
 * strings: their hash is computed once, and the symbol table's own keys
 * are the same interned strings, so a lookup is a pointer compare. */
static zend_string *str_env, *str_session;

/* At module startup, before any thread copies the function table and
 * before anything is compiled (the JIT may call a handler directly). */
void ephpm_reset_minit(void)
{
	str_env = zend_string_init_interned("_ENV", sizeof("_ENV") - 1, 1);
	str_session = zend_string_init_interned("_SESSION", sizeof("_SESSION") - 1, 1);
	wrap("putenv", &orig_putenv, wrap_putenv);
	wrap("setlocale", &orig_setlocale, wrap_setlocale);
	wrap("chdir", &orig_chdir, wrap_chdir);
	wrap("date_default_timezone_set", &orig_tzset, wrap_tzset);
	wrap("umask", &orig_umask, wrap_umask);
}

/* ext/date's globals through its module entry: Debian's libphp does not
 * export date_globals. DATEG(timezone) is what date_default_timezone_set()
 * sets and the date module's request shutdown frees. */
static zend_date_globals *date_globals_here(void)
{
	static zend_module_entry *date;
	if (!date) {
		date = zend_hash_str_find_ptr(&module_registry, "date", sizeof("date") - 1);
	}
	if (!date) {
		return NULL;
	}
#ifdef ZTS
	return date->globals_id_ptr ? (zend_date_globals *)ts_resource(*date->globals_id_ptr) : NULL;
#else
	return (zend_date_globals *)date->globals_ptr;
#endif
}

/* ---- the baseline of the current run (this thread) ----
 *
 * Request-lifetime pieces are emalloc'd: they die with the run's request.
 * malloc'd ones (cwd, locale) are freed at the next capture. */

typedef struct {
	zend_ini_entry *entry;
	zend_string *value; /* the value the boot left (copy), NULL if none */
} ini_base;

typedef struct {
	zend_string *key;   /* a variable the boot's putenv() set or unset */
	char *value;        /* its value then, NULL = unset */
	zend_string *setting; /* "KEY=value" (or "KEY": unset), to set it again */
} env_base;

static __thread struct {
	int taken;
	ini_base *ini;
	uint32_t ini_n;
	env_base *env;
	uint32_t env_n;
	zend_array *env_arr;  /* $_ENV as booted (one reference held) */
	char *locale;         /* setlocale(LC_ALL, NULL) as booted */
	zend_string *ctype;   /* BG(ctype_string) as booted */
	char *cwd;
	char *timezone;       /* DATEG(timezone) as booted (NULL: ini's) */
	mode_t umask;
	int session;          /* the session module is there */
	zval session_names[PS_NUM_APIS]; /* save handler the boot set (user) */
	zend_string *session_class;      /* its class, for PHP's messages */
} base;

/* A new run of the worker script: its baseline is taken at its first
 * request. */
void ephpm_reset_run_start(void)
{
	base.taken = 0;
	/* Request memory of the previous run is gone with it. */
	base.ini = NULL;
	base.ini_n = 0;
	base.env = NULL;
	base.env_n = 0;
	base.env_arr = NULL;
	base.ctype = NULL;
	base.session_class = NULL;
	base.timezone = NULL;
	for (int i = 0; i < PS_NUM_APIS; i++) {
		ZVAL_UNDEF(&base.session_names[i]);
	}
	dirty = 0;
}

static zval *env_global(void)
{
	zval *z = zend_hash_find(&EG(symbol_table), str_env);
	if (z && Z_TYPE_P(z) == IS_INDIRECT) {
		z = Z_INDIRECT_P(z);
	}
	return z;
}

static void capture_ini(void)
{
	HashTable *m = EG(modified_ini_directives);
	uint32_t n = m ? zend_hash_num_elements(m) : 0;
	if (n == 0) {
		return;
	}
	base.ini = emalloc(n * sizeof(ini_base));
	zend_ini_entry *e;
	ZEND_HASH_MAP_FOREACH_PTR(m, e) {
		base.ini[base.ini_n].entry = e;
		base.ini[base.ini_n].value = e->value ? zend_string_init(ZSTR_VAL(e->value), ZSTR_LEN(e->value), 0) : NULL;
		base.ini_n++;
	} ZEND_HASH_FOREACH_END();
}

static void capture_env(void)
{
	HashTable *ht = &BG(putenv_ht);
	uint32_t n = zend_hash_num_elements(ht);
	if (n > 0) {
		base.env = emalloc(n * sizeof(env_base));
		zend_string *key;
		zval *zv;
		ZEND_HASH_MAP_FOREACH_STR_KEY_VAL(ht, key, zv) {
			if (!key) continue;
			const char *v = getenv(ZSTR_VAL(key));
			env_base *b = &base.env[base.env_n++];
			b->key = zend_string_copy(key);
			b->value = v ? estrdup(v) : NULL;
			b->setting = v ? zend_string_concat3(ZSTR_VAL(key), ZSTR_LEN(key), "=", 1, v, strlen(v))
			               : zend_string_copy(key); /* no '=': unset */
		} ZEND_HASH_FOREACH_END();
	}
	/* $_ENV exists from the first request on, so there is one to compare. */
	zend_is_auto_global_str(ZEND_STRL("_ENV"));
	zval *z = env_global();
	if (z) {
		ZVAL_DEREF(z);
		if (Z_TYPE_P(z) == IS_ARRAY) {
			base.env_arr = Z_ARR_P(z);
			GC_ADDREF(base.env_arr);
		}
	}
}

static void capture_session(void)
{
	base.session = zend_hash_str_exists(&module_registry, "session", sizeof("session") - 1);
	if (!base.session) {
		return;
	}
	for (int i = 0; i < PS_NUM_APIS; i++) {
		ZVAL_COPY(&base.session_names[i], &PS(mod_user_names).names[i]);
	}
	base.session_class = PS(mod_user_class_name) ? zend_string_copy(PS(mod_user_class_name)) : NULL;
}

/* Takes the baseline: called when the run asks for its first request,
 * before the boot's idle state is torn down. */
void ephpm_reset_capture(void)
{
	if (base.taken) {
		return;
	}
	base.taken = 1;
	dirty = 0;
	capture_ini();
	capture_env();
	capture_session();

	free(base.locale);
	const char *loc = setlocale(LC_ALL, NULL);
	base.locale = loc ? strdup(loc) : NULL;
	base.ctype = BG(ctype_string) ? zend_string_copy(BG(ctype_string)) : NULL;

	free(base.cwd);
	base.cwd = NULL;
	char buf[MAXPATHLEN];
	if (VCWD_GETCWD(buf, sizeof(buf))) {
		base.cwd = strdup(buf);
	}

	zend_date_globals *dg = date_globals_here();
	base.timezone = dg && dg->timezone ? estrdup(dg->timezone) : NULL;
	base.umask = umask(077);
	umask(base.umask);
}

/* ---- restoring ---- */

static bool ini_changed(void)
{
	HashTable *m = EG(modified_ini_directives);
	uint32_t n = m ? zend_hash_num_elements(m) : 0;
	if (n != base.ini_n) {
		return true;
	}
	for (uint32_t i = 0; i < base.ini_n; i++) {
		zend_ini_entry *e = base.ini[i].entry;
		zend_string *v = base.ini[i].value;
		if (!e->modified || (e->value != v && (!e->value || !v || !zend_string_equals(e->value, v)))) {
			return true;
		}
	}
	return false;
}

static bool ini_in_base(zend_ini_entry *e)
{
	for (uint32_t i = 0; i < base.ini_n; i++) {
		if (base.ini[i].entry == e) {
			return true;
		}
	}
	return false;
}

/* As request shutdown's zend_ini_deactivate, but back to the boot's values
 * rather than php.ini's. Stage DEACTIVATE, as there: handlers that refuse
 * runtime changes after headers were sent (session.*) take it. */
static void restore_ini(void)
{
	HashTable *m = EG(modified_ini_directives);
	if (m) {
		uint32_t n = zend_hash_num_elements(m), k = 0;
		zend_string **drop = n ? emalloc(n * sizeof(zend_string *)) : NULL;
		zend_ini_entry *e;
		ZEND_HASH_MAP_FOREACH_PTR(m, e) {
			if (!ini_in_base(e)) {
				drop[k++] = e->name;
			}
		} ZEND_HASH_FOREACH_END();
		for (uint32_t i = 0; i < k; i++) {
			zend_restore_ini_entry(drop[i], ZEND_INI_STAGE_DEACTIVATE);
		}
		if (drop) {
			efree(drop);
		}
	}
	for (uint32_t i = 0; i < base.ini_n; i++) {
		zend_ini_entry *e = base.ini[i].entry;
		zend_string *v = base.ini[i].value;
		if (e->modified && (e->value == v || (e->value && v && zend_string_equals(e->value, v)))) {
			continue;
		}
		if (v) {
			zend_alter_ini_entry_ex(e->name, v, ZEND_INI_USER, ZEND_INI_STAGE_DEACTIVATE, 1);
		}
	}
}

/* Whether the variable has the value the boot left. (Entries of
 * BG(putenv_ht) cannot tell: the request's putenv() of a boot variable
 * frees the boot's entry, and the allocator may hand its address to the
 * new one.) */
static bool env_as_booted(const env_base *b)
{
	const char *v = getenv(ZSTR_VAL(b->key));
	return v == b->value || (v && b->value && strcmp(v, b->value) == 0);
}

static const env_base *env_boot_var(zend_string *key)
{
	for (uint32_t i = 0; i < base.env_n; i++) {
		if (zend_string_equals(base.env[i].key, key)) {
			return &base.env[i];
		}
	}
	return NULL;
}

/* putenv() of the request undone, newest first (each entry's destructor
 * puts back the value before it), then the boot's own putenv()s set again
 * where the request replaced them. */
static void restore_env(void)
{
	HashTable *ht = &BG(putenv_ht);
	uint32_t n = zend_hash_num_elements(ht), k = 0;
	zend_string **drop = n ? emalloc(n * sizeof(zend_string *)) : NULL;
	zend_string *key;
	ZEND_HASH_MAP_FOREACH_STR_KEY(ht, key) {
		const env_base *b = key ? env_boot_var(key) : NULL;
		if (key && (!b || !env_as_booted(b))) {
			drop[k++] = zend_string_copy(key);
		}
	} ZEND_HASH_FOREACH_END();
	tsrm_env_lock();
	while (k > 0) {
		k--;
		zend_hash_del(ht, drop[k]);
		zend_string_release(drop[k]);
	}
	tsrm_env_unlock();
	if (drop) {
		efree(drop);
	}
	for (uint32_t i = 0; i < base.env_n; i++) {
		env_base *b = &base.env[i];
		if (zend_hash_exists(ht, b->key) && env_as_booted(b)) {
			continue;
		}
		zval fn, arg, ret;
		ZVAL_STRINGL(&fn, "putenv", sizeof("putenv") - 1);
		ZVAL_STR_COPY(&arg, b->setting);
		ZVAL_UNDEF(&ret);
		call_user_function(CG(function_table), NULL, &fn, &ret, 1, &arg);
		zval_ptr_dtor(&ret);
		zval_ptr_dtor(&arg);
		zval_ptr_dtor(&fn);
	}
}

static void restore_env_global(void)
{
	if (!base.env_arr) {
		return;
	}
	zval *z = env_global();
	if (z) {
		zval *d = z;
		ZVAL_DEREF(d);
		if (Z_TYPE_P(d) == IS_ARRAY && Z_ARR_P(d) == base.env_arr) {
			return;
		}
	}
	zval v;
	GC_ADDREF(base.env_arr);
	ZVAL_ARR(&v, base.env_arr);
	zend_hash_update(&EG(symbol_table), str_env, &v);
}

static void restore_locale(void)
{
	if (base.locale) {
		setlocale(LC_ALL, base.locale);
	}
	zend_update_current_locale();
	if (BG(ctype_string)) {
		zend_string_release_ex(BG(ctype_string), 0);
	}
	BG(ctype_string) = base.ctype ? zend_string_copy(base.ctype) : NULL;
}

static void restore_cwd(void)
{
	char buf[MAXPATHLEN];
	if (base.cwd && !(VCWD_GETCWD(buf, sizeof(buf)) && strcmp(buf, base.cwd) == 0)) {
		VCWD_CHDIR(base.cwd);
	}
	/* As chdir() does: stat results of relative paths are stale. */
	php_clear_stat_cache(0, NULL, 0);
}

static void restore_timezone(void)
{
	zend_date_globals *dg = date_globals_here();
	if (!dg) {
		return;
	}
	if (dg->timezone) {
		efree(dg->timezone);
	}
	dg->timezone = base.timezone ? estrdup(base.timezone) : NULL;
}

/* ---- the session ---- */

static bool session_touched(void)
{
	if (!base.session) {
		return false;
	}
	if (PS(session_status) == php_session_active || PS(id) || PS(mod_data) || !Z_ISUNDEF(PS(http_session_vars))) {
		return true;
	}
	for (int i = 0; i < PS_NUM_APIS; i++) {
		zval *a = &PS(mod_user_names).names[i], *b = &base.session_names[i];
		if (Z_TYPE_P(a) != Z_TYPE_P(b) || (Z_TYPE_P(a) == IS_ARRAY && Z_ARR_P(a) != Z_ARR_P(b))) {
			return true;
		}
	}
	return zend_hash_exists(&EG(symbol_table), str_session);
}

static __thread int session_closed;

/* The reset runs PHP code (a user session handler, putenv()) and must not
 * see an exception the handler threw: it is set aside meanwhile and put
 * back for the worker script, which may catch it and serve on. Anything
 * the reset itself throws is dropped (as at request shutdown). exit()
 * ends the run: nothing to reset for. */
static bool stash_exception(zend_object **ex)
{
	*ex = EG(exception);
	if (!*ex) {
		return true;
	}
	if (zend_is_unwind_exit(*ex) || zend_is_graceful_exit(*ex)) {
		return false;
	}
	EG(exception) = NULL;
	return true;
}

static void unstash_exception(zend_object *ex)
{
	if (EG(exception)) {
		zend_clear_exception();
	}
	EG(exception) = ex;
}

/* As the session module's request shutdown: a session the request started
 * is written and closed, and the module's state is dropped. Called before
 * the response is handed back, so the session is saved (and its lock
 * released) before the client can send its next request. */
void ephpm_reset_session_end(void)
{
	session_closed = 0;
	if (!base.taken || !session_touched()) {
		return;
	}
	zend_module_entry *m = zend_hash_str_find_ptr(&module_registry, "session", sizeof("session") - 1);
	zend_object *ex;
	if (!m || !m->request_shutdown_func || !stash_exception(&ex)) {
		return;
	}
	m->request_shutdown_func(m->type, m->module_number);
	zend_hash_del(&EG(symbol_table), str_session);
	session_closed = 1;
	unstash_exception(ex);
}

/* As the session module's request startup, after the ini settings are back
 * (it looks up the save handler there). Never auto_start: the worker is
 * between requests; a save handler the boot set is put back. */
static void session_begin(void)
{
	zend_module_entry *m = zend_hash_str_find_ptr(&module_registry, "session", sizeof("session") - 1);
	if (!m || !m->request_startup_func) {
		return;
	}
	bool auto_start = PS(auto_start);
	PS(auto_start) = 0;
	m->request_startup_func(m->type, m->module_number);
	PS(auto_start) = auto_start;
	for (int i = 0; i < PS_NUM_APIS; i++) {
		zval_ptr_dtor(&PS(mod_user_names).names[i]);
		ZVAL_COPY(&PS(mod_user_names).names[i], &base.session_names[i]);
	}
	if (base.session_class && !PS(mod_user_class_name)) {
		PS(mod_user_class_name) = zend_string_copy(base.session_class);
	}
}

/* After a served request has been handed back (its state torn down): puts
 * back what changed since the baseline. */
void ephpm_reset_after_request(void)
{
	zend_object *ex;
	if (!base.taken || !stash_exception(&ex)) {
		return;
	}
	if (ini_changed()) {
		restore_ini();
	}
	if (session_closed) {
		session_closed = 0;
		session_begin();
	}
	int d = dirty;
	if (d == 0) {
		restore_env_global();
		unstash_exception(ex);
		return;
	}
	dirty = 0;
	if (d & DIRTY_ENV) {
		restore_env();
	}
	restore_env_global();
	if (d & DIRTY_LOCALE) {
		restore_locale();
	}
	if (d & DIRTY_CWD) {
		restore_cwd();
	}
	if (d & DIRTY_TZ) {
		restore_timezone();
	}
	if (d & DIRTY_UMASK) {
		umask(base.umask);
	}
	/* Our own putenv() calls above went through the wrapper. */
	dirty = 0;
	unstash_exception(ex);
}
