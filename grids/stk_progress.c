/* Progress lines (stk_progress.h): one helper for every long step, so a terminal gets a
 * line rewritten in place and a log file a few whole lines. */
#define _POSIX_C_SOURCE 200809L /* fileno, isatty */
#include "stk_progress.h"
#include <petsctime.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define STK_PROGRESS_TERMINAL_INTERVAL 0.2  /* s between rewrites on a terminal */
#define STK_PROGRESS_LOG_INTERVAL      5.0  /* s between whole lines in a log */
#define STK_PROGRESS_LOG_STEP          0.1  /* or this much of the work */
#define STK_PROGRESS_ESTIMATE_FRACTION 0.05 /* estimates only after 5 % ... */
#define STK_PROGRESS_ESTIMATE_SECONDS  2.0  /* ... and 2 s */

struct _p_StkProgress {
  char           name[64];
  PetscBool      enabled;  /* -progress, and rank 0 */
  PetscReal      delay;    /* s before the first line */
  FILE          *fp;       /* NULL: stderr */
  PetscLogDouble start, last;
  PetscReal      last_fraction;
  PetscBool      shown, open; /* a line was printed; a rewritten line awaits its newline */
  size_t         width;       /* of the last rewritten line, to blank its rest */
};

PetscErrorCode StkProgressCreate(MPI_Comm comm, const char name[], StkProgress *progress)
{
  StkProgress p;
  PetscMPIInt rank;
  PetscBool   on = PETSC_TRUE;
  PetscReal   delay = 2;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&p));
  PetscCall(PetscStrncpy(p->name, name, sizeof(p->name)));
  PetscOptionsBegin(comm, NULL, "Progress lines on stderr", NULL);
  PetscCall(PetscOptionsBool("-progress", "Print progress lines for steps longer than -progress_delay", "StkProgressCreate", on, &on, NULL));
  PetscCall(PetscOptionsReal("-progress_delay", "Seconds a step runs before its first progress line", "StkProgressSetDelay", delay, &delay, NULL));
  PetscOptionsEnd();
  PetscCheck(delay >= 0 && !PetscIsInfOrNanReal(delay), comm, PETSC_ERR_USER_INPUT, "-progress_delay: %g is out of range: must be a finite number >= 0", (double)delay);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  p->enabled       = (PetscBool)(on && rank == 0);
  p->delay         = delay;
  p->last_fraction = -1;
  PetscCall(PetscTime(&p->start));
  *progress = p;
  PetscFunctionReturn(0);
}

PetscErrorCode StkProgressSetDelay(StkProgress p, PetscReal seconds)
{
  PetscFunctionBeginUser;
  PetscCheck(seconds >= 0 && !PetscIsInfOrNanReal(seconds), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkProgressSetDelay: %g is out of range: must be a finite number >= 0", (double)seconds);
  p->delay = seconds;
  PetscFunctionReturn(0);
}

PetscErrorCode StkProgressSetStream(StkProgress p, FILE *fp)
{
  PetscFunctionBeginUser;
  p->fp = fp;
  PetscFunctionReturn(0);
}

static FILE *Stream(StkProgress p)
{
  return p->fp ? p->fp : stderr;
}

static PetscBool Terminal(StkProgress p)
{
  return isatty(fileno(Stream(p))) ? PETSC_TRUE : PETSC_FALSE;
}

/* Due: after the delay; then on a terminal every 0.2 s, in a log every 5 s or 10 %
 * (and at the end of known work). */
static PetscBool Due(StkProgress p, PetscBool terminal, PetscLogDouble now, PetscReal fraction)
{
  if (now - p->start < p->delay) return PETSC_FALSE;
  if (!p->shown) return PETSC_TRUE;
  if (terminal) return (PetscBool)(now - p->last >= STK_PROGRESS_TERMINAL_INTERVAL || fraction >= 1);
  if (now - p->last >= STK_PROGRESS_LOG_INTERVAL) return PETSC_TRUE;
  return (PetscBool)(fraction >= 0 && (fraction - p->last_fraction >= STK_PROGRESS_LOG_STEP || (fraction >= 1 && p->last_fraction < 1)));
}

/* ", 42 %, 12 s, about 16 s left": the estimate once it means something. */
static PetscErrorCode Tail(PetscReal fraction, PetscLogDouble elapsed, char tail[], size_t len)
{
  char pct[16] = "";

  PetscFunctionBeginUser;
  if (fraction >= 0) PetscCall(PetscSNPrintf(pct, sizeof(pct), ", %d %%", (int)PetscFloorReal(100 * fraction)));
  if (fraction >= STK_PROGRESS_ESTIMATE_FRACTION && fraction < 1 && elapsed >= STK_PROGRESS_ESTIMATE_SECONDS && elapsed * (1 - fraction) / fraction >= 0.5) PetscCall(PetscSNPrintf(tail, len, "%s, %.*f s, about %.0f s left", pct, elapsed < 10 ? 1 : 0, elapsed, elapsed * (1 - fraction) / fraction));
  else PetscCall(PetscSNPrintf(tail, len, "%s, %.*f s", pct, elapsed < 10 ? 1 : 0, elapsed));
  PetscFunctionReturn(0);
}

PetscErrorCode StkProgressUpdate(StkProgress p, PetscReal fraction, const char format[], ...)
{
  PetscLogDouble now;
  PetscBool      terminal;
  char           msg[256], tail[96], line[400];
  va_list        ap;
  size_t         n;

  PetscFunctionBeginUser;
  if (!p->enabled) PetscFunctionReturn(0);
  PetscCall(PetscTime(&now));
  terminal = Terminal(p);
  if (!Due(p, terminal, now, fraction)) PetscFunctionReturn(0);
  va_start(ap, format);
  vsnprintf(msg, sizeof(msg), format, ap);
  va_end(ap);
  PetscCall(Tail(fraction, now - p->start, tail, sizeof(tail)));
  PetscCall(PetscSNPrintf(line, sizeof(line), "%s: %s%s", p->name, msg, tail));
  n = strlen(line);
  if (terminal) fprintf(Stream(p), "\r%s%*s", line, (int)(p->width > n ? p->width - n : 0), "");
  else fprintf(Stream(p), "%s\n", line);
  fflush(Stream(p));
  p->width         = n;
  p->open          = terminal;
  p->shown         = PETSC_TRUE;
  p->last          = now;
  p->last_fraction = fraction;
  PetscFunctionReturn(0);
}

PetscErrorCode StkProgressEnd(StkProgress p)
{
  PetscFunctionBeginUser;
  if (p->open) {
    fprintf(Stream(p), "\n");
    fflush(Stream(p));
  }
  p->open = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkProgressGetShown(StkProgress p, PetscBool *shown)
{
  PetscFunctionBeginUser;
  *shown = p->shown;
  PetscFunctionReturn(0);
}

PetscErrorCode StkProgressDestroy(StkProgress *p)
{
  PetscFunctionBeginUser;
  if (!*p) PetscFunctionReturn(0);
  PetscCall(StkProgressEnd(*p));
  PetscCall(PetscFree(*p));
  PetscFunctionReturn(0);
}
