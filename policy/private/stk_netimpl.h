/* Private: the body of StkNet, shared by stk_net.c (forward, backward, options),
 * stk_net_fit.c (TAO) and stk_net_io.c (HDF5). */
#pragma once
#include "stk_net.h"

/* The CLASS part of the network's options prefix: -net_layers, and its fit's TAO -net_fit_tao_*. */
#define STK_NET_CLASS "net_"

struct _p_StkNet {
  MPI_Comm  comm;
  char     *prefix;           /* USER part of the options prefix (NULL: none) */
  char      class_prefix[256]; /* USER + STK_NET_CLASS, kept with prefix: messages print "-%slayers" */
  /* architecture: size[0] = nin, size[1..nhidden] = widths, size[nhidden + 1] = 1 */
  PetscInt  nin, nhidden, size[STK_NET_MAX_LAYERS + 2];
  PetscInt  nweights;
  PetscReal in_lo[STK_NET_MAX_INPUTS], in_hi[STK_NET_MAX_INPUTS];
  char      in_name[STK_NET_MAX_INPUTS][16];
  PetscBool in_set;
  PetscReal u_min, u_max;
  PetscInt  seed;
  PetscReal *w; /* nweights, flat */
  PetscBool setup;
  /* fitting options */
  PetscReal fit_l2;
  PetscInt  fit_stride, fit_max_it; /* fit_stride 0: automatic (about fit_samples nodes and the kinks) */
  PetscInt  fit_samples;
  PetscBool fit_view;
  /* result of the last fit (or as read from a file) */
  PetscBool      fitted;
  StkNetFitStats fit;
  char           source[PETSC_MAX_PATH_LEN];
};

PETSC_INTERN PetscLogEvent STK_EVENT_NetFit;
PETSC_INTERN PetscErrorCode StkNetRegisterEvents(void);
/* Offset of layer l's first weight (layer l maps size[l] -> size[l + 1]). */
PETSC_INTERN PetscInt StkNetLayerOffset(StkNet net, PetscInt l);
/* Work size (reals) of StkNetBatchResidualGradient for nb samples. */
PETSC_INTERN PetscInt StkNetBatchWorkSize(StkNet net, PetscInt nb);
/* Over nb samples x (nb rows of nin) with targets: adds sum r^2 to sums[0], max |r| into
 * sums[1] and, with gradient, sum r du/dtheta to sums[2..], r = (u - target) / (u_max - u_min). */
PETSC_INTERN PetscErrorCode StkNetBatchResidualGradient(StkNet net, PetscInt nb, const PetscReal x[], const PetscReal target[], PetscBool gradient, PetscReal sums[], PetscReal work[]);
