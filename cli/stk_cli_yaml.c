/* Options files checked before PetscInitialize (stk_cli.h): PETSc's reader reports a
 * malformed YAML file without its name, and with a trace. */
#include "stk_cli.h"
#include <stdio.h>
#include <string.h>
#include <yaml.h>

/* 0, or the problem of `path` (cannot open / where the YAML parser stopped) in msg. */
static int CheckYAML(const char path[], char msg[], size_t len)
{
  yaml_parser_t parser;
  yaml_event_t  event;
  FILE         *f = fopen(path, "rb");
  int           done = 0, bad = 0;

  if (!f) {
    snprintf(msg, len, "%s: cannot open the options file", path);
    return 1;
  }
  if (!yaml_parser_initialize(&parser)) {
    fclose(f);
    snprintf(msg, len, "%s: cannot start the YAML parser", path);
    return 1;
  }
  yaml_parser_set_input_file(&parser, f);
  while (!done && !bad) {
    if (!yaml_parser_parse(&parser, &event)) {
      snprintf(msg, len, "%s: not a valid YAML options file (line %lu, column %lu: %s)", path, (unsigned long)parser.problem_mark.line + 1, (unsigned long)parser.problem_mark.column + 1, parser.problem ? parser.problem : "parse error");
      bad = 1;
      break;
    }
    done = event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
  }
  yaml_parser_delete(&parser);
  fclose(f);
  return bad;
}

static int IsYAML(const char path[])
{
  size_t n = strlen(path);
  return (n > 5 && !strcmp(path + n - 5, ".yaml")) || (n > 4 && !strcmp(path + n - 4, ".yml"));
}

int StkOptionsFilesCheck(const char command[], int argc, char **argv)
{
  char msg[1024];

  for (int i = 1; i + 1 < argc; i++) {
    int yaml = !strcmp(argv[i], "-options_file_yaml") || (!strcmp(argv[i], "-options_file") && IsYAML(argv[i + 1]));
    if (!yaml) continue;
    if (CheckYAML(argv[i + 1], msg, sizeof(msg))) {
      fprintf(stderr, "stakehjb %s: error: %s\n", command, msg);
      return 1;
    }
  }
  return 0;
}
