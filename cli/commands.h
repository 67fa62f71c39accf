/* commands.h - the subcommands of the kzsearch tool; each parses its own options and returns the
 * process exit status (grep's: 0 found, 1 nothing found, 2 error, with a message on stderr). */
#ifndef KZ_CLI_COMMANDS_H
#define KZ_CLI_COMMANDS_H

#define KZ_EXIT_FOUND 0
#define KZ_EXIT_NONE  1
#define KZ_EXIT_ERROR 2

/* argv[0] is the subcommand's name ("analyze"); options may come before or after arguments,
 * "--" ends options, "-" or no text reads standard input. */
int kz_cmd_analyze(int argc, char **argv);
int kz_cmd_search(int argc, char **argv);
int kz_cmd_index(int argc, char **argv);
int kz_cmd_optimize(int argc, char **argv);
int kz_cmd_stats(int argc, char **argv);
int kz_cmd_check(int argc, char **argv);

#endif
