/* csvfield: split one line of CSV into a list of str, for a log importer.
 *
 *   csvfield.split('a,"b,c",d') -> ['a', 'b,c', 'd']
 *
 * A line starting with '#' is a directive ("#delimiter=;") that changes the
 * separator for the following lines.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

static char delimiter = ',';

/* Copy a quoted field without its quotes, "" read as one quote. `end` is one
 * past the closing quote, or the end of the line when the quote is never closed. */
static char *unquote(const char *start, const char *end, Py_ssize_t *length) {
  char *out = malloc((size_t)(end - start) - 1); /* the field minus both quotes, plus NUL */
  Py_ssize_t n = 0;
  for (const char *p = start + 1; p < end; p++) {
    if (*p == '"' && p + 1 < end && p[1] == '"') {
      out[n++] = '"';
      p++;
    } else if (*p == '"') {
      break;
    } else {
      out[n++] = *p;
    }
  }
  out[n] = '\0';
  *length = n;
  return out;
}

/* One past the end of the field starting at `p`. */
static const char *field_end(const char *p, const char *stop) {
  if (*p != '"') {
    while (p < stop && *p != delimiter) p++;
    return p;
  }
  for (p++; p < stop; p++) {
    if (*p == '"' && p + 1 < stop && p[1] == '"') p++;
    else if (*p == '"') return p + 1;
  }
  return stop;
}

static int apply_directive(const char *line, Py_ssize_t size) {
  const char *equals = memchr(line, '=', (size_t)size);
  if (equals == NULL) return 0;
  size_t name_length = (size_t)(equals - line) - 1;
  char *name = malloc(name_length + 1);
  memcpy(name, line + 1, name_length);
  name[name_length] = '\0';
  if (strcmp(name, "delimiter") != 0) return 0; /* unknown directives are ignored */
  if (equals + 1 < line + size) delimiter = equals[1];
  free(name);
  return 1;
}

static PyObject *split(PyObject *self, PyObject *args) {
  const char *line;
  Py_ssize_t size;
  if (!PyArg_ParseTuple(args, "s#", &line, &size)) return NULL;
  PyObject *fields = PyList_New(0);
  if (fields == NULL) return NULL;
  if (size > 0 && line[0] == '#') {
    apply_directive(line, size);
    return fields;
  }
  const char *stop = line + size;
  for (const char *p = line; p <= stop;) {
    const char *end = field_end(p, stop);
    PyObject *field;
    if (p < stop && *p == '"') {
      Py_ssize_t length;
      char *text = unquote(p, end, &length);
      field = PyUnicode_FromStringAndSize(text, length);
      free(text);
    } else {
      field = PyUnicode_FromStringAndSize(p, end - p);
    }
    if (field == NULL || PyList_Append(fields, field) < 0) {
      Py_XDECREF(field);
      Py_DECREF(fields);
      return NULL;
    }
    Py_DECREF(field);
    p = end + 1;
  }
  return fields;
}

static PyMethodDef methods[] = {
    {"split", split, METH_VARARGS, "Split one CSV line into a list of fields."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "csvfield", "Split CSV lines.", -1, methods,
};

PyMODINIT_FUNC PyInit_csvfield(void) { return PyModule_Create(&module); }
