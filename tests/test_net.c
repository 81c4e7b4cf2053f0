/* The mechanism network: forward pass against its closed form, backpropagation against
 * central differences for several architectures, deterministic initialization, the fit
 * to the default 2-D model's policy, the same fit on any number of ranks, and HDF5
 * round trips and bad files. */
#include "stk_test_problem.h"
#include "stk_net.h"
#include <string.h>
#include <hdf5.h>

typedef struct {
  PetscInt nin, nhidden, width;
} Architecture;

/* A set-up network on comm: nin inputs on [0, 1] x [-0.03, 0.03], output in [0, 0.15]. */
static StkNet make_net(MPI_Comm comm, PetscInt nin, PetscInt nhidden, PetscInt width, PetscInt seed)
{
  StkNet          net;
  PetscInt        widths[STK_NET_MAX_LAYERS];
  const PetscReal lo[] = {0, -0.03, 1}, hi[] = {1, 0.03, 2};

  for (PetscInt l = 0; l < nhidden; l++) widths[l] = width;
  assert_petsc(StkNetCreate(comm, &net));
  assert_petsc(StkNetSetArchitecture(net, nin, nhidden, widths));
  assert_petsc(StkNetSetInputBounds(net, lo, hi));
  assert_petsc(StkNetSetOutputBounds(net, 0, 0.15));
  assert_petsc(StkNetSetSeed(net, seed));
  assert_petsc(StkNetSetUp(net));
  return net;
}

/* 1 -> 1 -> 1: u = u_min + R sigmoid(b2 + w2 tanh(b1 + w1 (2 (x - lo)/(hi - lo) - 1))). */
static void test_forward_closed_form(void **state)
{
  StkNet          net = make_net(PETSC_COMM_SELF, 1, 1, 1, 7);
  const PetscReal w[] = {0.3, -1.7, -0.4, 2.5}; /* b1, w1, b2, w2 */
  PetscInt        nw;

  assert_petsc(StkNetGetNumWeights(net, &nw));
  assert_int_equal(nw, 4);
  assert_petsc(StkNetSetWeights(net, w));
  for (PetscReal x = 0; x <= 1; x += 0.125) {
    const PetscReal h = tanh(w[0] + w[1] * (2 * x - 1)), z = w[2] + w[3] * h;
    PetscReal       u, dudx, dudw[4];
    assert_petsc(StkNetEvaluate(net, &x, &u));
    assert_close(u, 0.15 / (1 + exp(-z)), 1e-14, 0);
    assert_petsc(StkNetGradient(net, &x, &u, dudw, &dudx));
    const PetscReal dz = 0.15 * exp(-z) / ((1 + exp(-z)) * (1 + exp(-z)));
    assert_close(dudw[2], dz, 1e-13, 0);
    assert_close(dudw[3], dz * h, 1e-13, 1e-18);
    assert_close(dudw[0], dz * w[3] * (1 - h * h), 1e-13, 0);
    assert_close(dudw[1], dz * w[3] * (1 - h * h) * (2 * x - 1), 1e-13, 1e-18);
    assert_close(dudx, dz * w[3] * (1 - h * h) * w[1] * 2, 1e-13, 0);
  }
  /* saturation: far outside the box the output stays feasible */
  for (PetscReal x = -1e3; x <= 1e3; x += 500) {
    PetscReal u;
    assert_petsc(StkNetEvaluate(net, &x, &u));
    assert_true(u >= 0 && u <= 0.15);
  }
  assert_petsc(StkNetDestroy(&net));
}

/* Directional checks (StkNetCheckGradient) for 1x4, 2x16, 3x8 with 1-D and 2-D inputs. */
static void test_gradient_check(void **state)
{
  const Architecture arch[] = {
    {1, 1, 4},
    {1, 2, 16},
    {1, 3, 8},
    {2, 1, 4},
    {2, 2, 16},
    {2, 3, 8}
  };
  PetscReal worst_w = 0, worst_x = 0;

  for (size_t a = 0; a < sizeof(arch) / sizeof(arch[0]); a++) {
    StkNet net = make_net(PETSC_COMM_SELF, arch[a].nin, arch[a].nhidden, arch[a].width, 11 + (PetscInt)a);
    for (PetscInt p = 0; p < 8; p++) {
      const PetscReal x[] = {0.05 + 0.12 * p, -0.03 + 0.0075 * p};
      PetscReal       ew, ex;
      PetscBool       passed;
      assert_petsc(StkNetCheckGradient(net, x, 100 + p, 1e-6, &ew, &ex, &passed));
      assert_true(passed);
      assert_true(ew < 1e-6 && ex < 1e-6);
      assert_petsc(StkNetCheckGradient(net, x, 100 + p, 0, NULL, NULL, &passed));
      assert_false(passed); /* the status follows the tolerance */
      worst_w = PetscMax(worst_w, ew);
      worst_x = PetscMax(worst_x, ex);
    }
    assert_petsc(StkNetDestroy(&net));
  }
  print_message("gradient check: worst relative error %.2e (weights), %.2e (inputs)\n", (double)worst_w, (double)worst_x);
}

/* Every component of du/dtheta of a 2x4 net against its own central difference. */
static void test_gradient_componentwise(void **state)
{
  StkNet          net = make_net(PETSC_COMM_SELF, 2, 2, 4, 3);
  const PetscReal x[] = {0.37, 0.011}, h = 1e-6;
  PetscReal      *w, dudw[64], u, up, down;
  const PetscReal *w0;
  PetscInt        nw;

  assert_petsc(StkNetGetNumWeights(net, &nw));
  assert_int_equal(nw, 4 * 3 + 4 * 5 + 5);
  assert_petsc(StkNetGradient(net, x, &u, dudw, NULL));
  assert_petsc(StkNetGetWeights(net, &w0));
  assert_petsc(PetscMalloc1(nw, &w));
  for (PetscInt i = 0; i < nw; i++) {
    assert_petsc(PetscArraycpy(w, w0, nw));
    w[i] += h;
    assert_petsc(StkNetSetWeights(net, w));
    assert_petsc(StkNetEvaluate(net, x, &up));
    w[i] -= 2 * h;
    assert_petsc(StkNetSetWeights(net, w));
    assert_petsc(StkNetEvaluate(net, x, &down));
    w[i] += h;
    assert_petsc(StkNetSetWeights(net, w));
    assert_close(dudw[i], (up - down) / (2 * h), 1e-6, 1e-11);
  }
  assert_petsc(PetscFree(w));
  assert_petsc(StkNetDestroy(&net));
}

/* Same seed, same weights; another seed, others; Glorot bounds and spread; zero biases. */
static void test_initialization(void **state)
{
  StkNet           a = make_net(PETSC_COMM_SELF, 2, 2, 16, 5), b = make_net(PETSC_COMM_SELF, 2, 2, 16, 5), c = make_net(PETSC_COMM_SELF, 2, 2, 16, 6);
  const PetscReal *wa, *wb, *wc, limit = sqrt(6.0 / 32);
  PetscInt         nw, differ = 0;
  PetscReal        sum2 = 0;

  assert_petsc(StkNetGetNumWeights(a, &nw));
  assert_int_equal(nw, 16 * 3 + 16 * 17 + 17);
  assert_petsc(StkNetGetWeights(a, &wa));
  assert_petsc(StkNetGetWeights(b, &wb));
  assert_petsc(StkNetGetWeights(c, &wc));
  for (PetscInt i = 0; i < nw; i++) {
    assert_true(wa[i] == wb[i]);
    differ += wa[i] != wc[i];
  }
  assert_true(differ > nw - 40); /* only the biases (0) agree */
  /* the 16 x 16 hidden layer starts at 48; neuron j: bias at 48 + 17 j */
  for (PetscInt j = 0; j < 16; j++) {
    assert_true(wa[48 + 17 * j] == 0);
    for (PetscInt k = 1; k <= 16; k++) {
      assert_true(PetscAbsReal(wa[48 + 17 * j + k]) <= limit);
      sum2 += wa[48 + 17 * j + k] * wa[48 + 17 * j + k];
    }
  }
  /* uniform on +-limit: variance limit^2 / 3 (256 draws: within 20 %) */
  assert_close(sum2 / 256, limit * limit / 3, 0.2, 0);
  assert_petsc(StkNetDestroy(&a));
  assert_petsc(StkNetDestroy(&b));
  assert_petsc(StkNetDestroy(&c));
}

/* The default 2-D staking model on 65 x 17 nodes: the fitted 2 x 16 network
 * reproduces the solver's policy with RMSE below 1 % of u_max - u_min. */
static void test_fit_default_model(void **state)
{
  const PetscInt n[] = {65, 17};
  StkTestProblem P;
  StkNet         net;
  StkNetFitStats st;
  Vec            u;
  PetscReal      u_min, u_max, w2 = 0;
  const PetscReal *w;
  PetscInt       nw;

  assert_petsc(StkTestProblemCreate("staking", 2, n, NULL, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(StkModelGetControlBounds(P.model, 0, &u_min, &u_max));
  assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
  assert_petsc(StkNetSetInputsFromGrid(net, P.grid));
  assert_petsc(StkNetSetOutputBounds(net, u_min, u_max));
  assert_petsc(StkNetSetUp(net));
  assert_petsc(StkNetFitGrid(net, P.grid, u, &st));
  print_message("fit 65x17: %d nodes, %d TAO iterations (%s), RMSE %.3e = %.4f %% of range, max error %.3e = %.3f %%, %.2f s\n", (int)st.samples, (int)st.iterations, st.reason, (double)st.rmse, 100 * (double)st.rmse_relative, (double)st.max_error, 100 * (double)st.max_error_relative, (double)st.time);
  assert_int_equal(st.samples, 65 * 17);
  assert_true(st.rmse_relative < 0.01);
  assert_close(st.rmse, st.rmse_relative * (u_max - u_min), 1e-14, 0);
  assert_true(st.max_error >= st.rmse && st.max_error_relative < 0.05);
  /* the objective is half the mean squared relative error plus the L2 term */
  assert_petsc(StkNetGetNumWeights(net, &nw));
  assert_petsc(StkNetGetWeights(net, &w));
  for (PetscInt i = 0; i < nw; i++) w2 += w[i] * w[i];
  assert_close(st.objective, st.rmse_relative * st.rmse_relative / 2 + st.l2 / 2 * w2, 1e-10, 0);
  assert_true(st.l2 / 2 * w2 < 0.2 * st.objective);
  assert_petsc(StkNetDestroy(&net));
  assert_petsc(StkTestProblemDestroy(&P));
}

/* Issue 14: on the default problem (the default 2-D staking model on its default
 * 257 x 65 grid) the default fit (about 500 regular nodes plus the kinks, 1000 TAO
 * iterations) reaches RMSE <= 0.15 % of u_max - u_min on every node, and
 * the 800 iterations of `stakehjb run` do too. */
static void test_fit_default_problem(void **state)
{
  const PetscInt its[] = {1000, 800};
  StkTestProblem P;
  Vec            u;
  PetscReal      u_min, u_max;
  PetscInt       total;

  assert_petsc(StkTestProblemCreate("staking", 2, NULL, NULL, &P));
  assert_petsc(StkGridGetNumNodes(P.grid, &total));
  assert_int_equal(total, 257 * 65);
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(StkModelGetControlBounds(P.model, 0, &u_min, &u_max));
  for (int t = 0; t < 2; t++) {
    StkNet         net;
    StkNetFitStats st;
    PetscReal      rmse, maxerr;
    assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
    assert_petsc(StkNetSetInputsFromGrid(net, P.grid));
    assert_petsc(StkNetSetOutputBounds(net, u_min, u_max));
    if (t) assert_petsc(StkNetSetFitMaxIterations(net, its[t]));
    assert_petsc(StkNetSetUp(net));
    assert_petsc(StkNetFitGrid(net, P.grid, u, &st));
    print_message("fit 257x65 (%d its): %d samples, RMSE %.4f %% of range, max error %.3f %%, %.2f s\n", (int)its[t], (int)st.samples, 100 * (double)st.rmse_relative, 100 * (double)st.max_error_relative, (double)st.time);
    assert_int_equal(st.iterations, its[t]);
    assert_true(st.samples > 500 && st.samples < total / 8); /* a subsample ... */
    assert_true(st.rmse_relative <= 0.0015);                 /* ... yet the bound on every node */
    assert_true(st.max_error_relative < 0.015);
    /* the stored errors are those on every node */
    {
      PetscReal *x, *uu;
      const PetscReal *s, *z;
      Vec              all;
      const PetscScalar *a;
      assert_petsc(StkGridGatherField(P.grid, u, &all));
      assert_petsc(VecGetArrayRead(all, &a));
      assert_petsc(StkGridGetCoordinates(P.grid, 0, &s));
      assert_petsc(StkGridGetCoordinates(P.grid, 1, &z));
      assert_petsc(PetscMalloc2(2 * total, &x, total, &uu));
      for (PetscInt j = 0, m = 0; j < 65; j++)
        for (PetscInt i = 0; i < 257; i++, m++) {
          x[2 * m]     = s[i];
          x[2 * m + 1] = z[j];
          uu[m]        = PetscRealPart(a[m]);
        }
      assert_petsc(StkNetComputeErrors(net, total, x, uu, &rmse, &maxerr));
      assert_close(rmse, st.rmse_relative, 1e-12, 0);
      assert_close(maxerr, st.max_error_relative, 1e-12, 0);
      assert_petsc(PetscFree2(x, uu));
      assert_petsc(VecRestoreArrayRead(all, &a));
      assert_petsc(VecDestroy(&all));
    }
    assert_petsc(StkNetDestroy(&net));
  }
  assert_petsc(StkTestProblemDestroy(&P));
}

/* A smooth target on a 33 x 9 grid, the same on every rank. */
static void make_samples(PetscInt *n, PetscReal **x, PetscReal **u)
{
  *n = 33 * 9;
  assert_petsc(PetscMalloc2(2 * *n, x, *n, u));
  for (PetscInt j = 0, m = 0; j < 9; j++)
    for (PetscInt i = 0; i < 33; i++, m++) {
      const PetscReal s = i / 32.0, z = -0.03 + 0.0075 * j;
      (*x)[2 * m]     = s;
      (*x)[2 * m + 1] = z;
      (*u)[m]         = PetscMax(0, 0.03 + 0.05 * tanh(4 * (0.6 - s)) + 0.5 * z);
    }
}

/* The fit on all ranks of PETSC_COMM_WORLD equals the fit on one rank (PETSC_COMM_SELF). */
static void test_fit_rank_independent(void **state)
{
  StkNet           world = make_net(PETSC_COMM_WORLD, 2, 2, 16, 1), self = make_net(PETSC_COMM_SELF, 2, 2, 16, 1);
  PetscOptions     db;
  StkNetFitStats   sw, ss;
  const PetscReal *ww, *ws;
  PetscReal       *x, *u, diff = 0, norm = 0;
  PetscInt         n, nw;
  PetscMPIInt      size;

  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, "-net_fit_max_it 300"));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(StkNetSetFromOptions(world));
  assert_petsc(StkNetSetFromOptions(self));
  make_samples(&n, &x, &u);
  assert_petsc(StkNetFit(world, n, x, u, &sw));
  assert_petsc(StkNetFit(self, n, x, u, &ss));
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
  assert_petsc(StkNetGetNumWeights(world, &nw));
  assert_petsc(StkNetGetWeights(world, &ww));
  assert_petsc(StkNetGetWeights(self, &ws));
  for (PetscInt i = 0; i < nw; i++) {
    diff = PetscMax(diff, PetscAbsReal(ww[i] - ws[i]));
    norm = PetscMax(norm, PetscAbsReal(ws[i]));
  }
  assert_petsc(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  print_message("fit on %d rank(s) vs 1: %d iterations, RMSE %.3e vs %.3e, max weight difference %.1e (relative)\n", size, (int)sw.iterations, (double)sw.rmse_relative, (double)ss.rmse_relative, (double)(diff / norm));
  assert_int_equal(sw.iterations, ss.iterations);
  assert_true(diff <= 1e-12 * norm);
  assert_close(sw.rmse_relative, ss.rmse_relative, 1e-12, 0);
  assert_close(sw.max_error_relative, ss.max_error_relative, 1e-12, 0);
  assert_true(sw.rmse_relative < 0.02);
  assert_petsc(PetscFree2(x, u));
  assert_petsc(StkNetDestroy(&world));
  assert_petsc(StkNetDestroy(&self));
}

/* A file name shared by all ranks (one per communicator size). */
static void test_file(const char stem[], char path[], size_t len)
{
  PetscMPIInt size;

  assert_petsc(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  snprintf(path, len, "stk_test_net_%s_np%d.h5", stem, (int)size);
}

static void assert_same_network(StkNet a, StkNet b, PetscInt nin)
{
  for (PetscInt p = 0; p < 200; p++) {
    const PetscReal x[] = {-0.1 + 0.006 * p, 0.04 * sin(0.3 * p)};
    PetscReal       ua, ub, ga[STK_NET_MAX_INPUTS], gb[STK_NET_MAX_INPUTS];
    assert_petsc(StkNetGradient(a, x, &ua, NULL, ga));
    assert_petsc(StkNetGradient(b, x, &ub, NULL, gb));
    assert_true(ua == ub); /* bitwise */
    for (PetscInt k = 0; k < nin; k++) assert_true(ga[k] == gb[k]);
  }
}

static void remove_file(const char path[])
{
  PetscMPIInt rank;

  assert_petsc(MPI_Barrier(PETSC_COMM_WORLD));
  assert_petsc(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) assert_int_equal(remove(path), 0);
}

/* Write, read back: identical outputs, architecture, bounds and fit statistics. */
static void test_h5_round_trip(void **state)
{
  char path[64];

  test_file("round_trip", path, sizeof(path));
  for (PetscInt nin = 1; nin <= 2; nin++) {
    StkNet         a = make_net(PETSC_COMM_WORLD, nin, nin == 1 ? 3 : 2, nin == 1 ? 8 : 16, 9), b;
    StkNetFitStats sa, sb;
    PetscBool      fa, fb;
    PetscReal      *x, *u, lo, hi;
    PetscInt       n, nh, widths[STK_NET_MAX_LAYERS];

    make_samples(&n, &x, &u);
    for (PetscInt i = 0; nin == 1 && i < n; i++) x[i] = x[2 * i]; /* s only */
    assert_petsc(StkNetFit(a, nin == 1 ? 33 : n, x, u, NULL));
    assert_petsc(StkNetSetSource(a, "synthetic"));
    assert_petsc(StkNetWrite(a, path));
    assert_petsc(StkNetLoad(PETSC_COMM_WORLD, path, NULL, &b));
    assert_same_network(a, b, nin);
    assert_petsc(StkNetGetArchitecture(b, &nh, widths));
    assert_int_equal(nh, nin == 1 ? 3 : 2);
    assert_int_equal(widths[nh - 1], nin == 1 ? 8 : 16);
    assert_petsc(StkNetGetOutputBounds(b, &lo, &hi));
    assert_true(lo == 0 && hi == 0.15);
    assert_petsc(StkNetGetFitStats(a, &fa, &sa));
    assert_petsc(StkNetGetFitStats(b, &fb, &sb));
    assert_true(fa && fb);
    assert_true(sa.rmse == sb.rmse && sa.max_error_relative == sb.max_error_relative && sa.iterations == sb.iterations && sa.samples == sb.samples);
    assert_string_equal(sa.reason, sb.reason);
    assert_petsc(PetscFree2(x, u));
    assert_petsc(StkNetDestroy(&a));
    assert_petsc(StkNetDestroy(&b));
  }
  remove_file(path);
}

/* Records the first error message (PETSc passes it to every handler up the stack). */
static PetscErrorCode CaptureError(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  char *buf = (char *)ctx;
  if (p == PETSC_ERROR_INITIAL && !buf[0]) snprintf(buf, 512, "%s", mess);
  return n;
}

/* Rank 0 edits the file with plain HDF5: delete DATASET, and if n > 0 recreate it with n values. */
static void damage(const char path[], const char dataset[], hsize_t n)
{
  PetscMPIInt rank;

  assert_petsc(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    hid_t  fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), space, ds;
    double zeros[512] = {0};
    assert_true(fid >= 0);
    assert_true(H5Ldelete(fid, dataset, H5P_DEFAULT) >= 0);
    if (n > 0) {
      space = H5Screate_simple(1, &n, NULL);
      ds    = H5Dcreate2(fid, dataset, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      assert_true(ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) >= 0);
      H5Dclose(ds);
      H5Sclose(space);
    }
    H5Fclose(fid);
  }
  assert_petsc(MPI_Barrier(PETSC_COMM_WORLD));
}

/* Rank 0 edits the file with plain HDF5: entry 0 of DATASET, or the attribute ATTR of
 * /network (dataset NULL), set to value. */
static void poke(const char path[], const char dataset[], const char attr[], double value)
{
  PetscMPIInt rank;

  assert_petsc(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(fid >= 0);
    if (dataset) {
      hid_t   ds = H5Dopen2(fid, dataset, H5P_DEFAULT), space = H5Dget_space(ds), mem;
      hsize_t one = 1, start = 0;
      mem = H5Screate_simple(1, &one, NULL);
      assert_true(H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, NULL, &one, NULL) >= 0);
      assert_true(H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, H5P_DEFAULT, &value) >= 0);
      H5Sclose(mem);
      H5Sclose(space);
      H5Dclose(ds);
    } else {
      hid_t g = H5Gopen2(fid, "network", H5P_DEFAULT), a = H5Aopen(g, attr, H5P_DEFAULT); /* the group stays open: dense attribute storage */
      assert_true(g >= 0 && a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &value) >= 0);
      H5Aclose(a);
      H5Gclose(g);
    }
    H5Fclose(fid);
  }
  assert_petsc(MPI_Barrier(PETSC_COMM_WORLD));
}

/* Loading a damaged file fails with a message naming the file and the dataset. */
static void expect_load_error(const char path[], const char expect[])
{
  char           msg[512] = "";
  StkNet         net      = NULL;
  PetscErrorCode ierr;

  assert_petsc(PetscPushErrorHandler(CaptureError, msg));
  ierr = StkNetLoad(PETSC_COMM_WORLD, path, NULL, &net);
  assert_petsc(PetscPopErrorHandler());
  print_message("  expected error: %s\n", msg);
  assert_int_not_equal(ierr, 0);
  assert_null(net);
  assert_non_null(strstr(msg, path));
  assert_non_null(strstr(msg, expect));
}

static void test_h5_bad_files(void **state)
{
  const struct {
    const char *dataset;
    hsize_t     n;
    const char *message;
  } cases[] = {
    {"network/weights",     0,   "missing dataset '/network/weights'"                                                },
    {"network/weights",     336, "dataset '/network/weights' has shape (336,), expected (337,)"                      },
    {"network/layer_sizes", 3,   "dataset '/network/layer_sizes' has shape (3,), expected (4,) for 2 hidden layers"},
    {"network/input_hi",    0,   "missing dataset '/network/input_hi'"                                               },
  };
  char path[64];

  test_file("bad", path, sizeof(path));
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    StkNet net = make_net(PETSC_COMM_WORLD, 2, 2, 16, 2);
    assert_petsc(StkNetWrite(net, path));
    assert_petsc(StkNetDestroy(&net));
    damage(path, cases[c].dataset, cases[c].n);
    expect_load_error(path, cases[c].message);
  }
  { /* values that would run silently: NaN weights, inverted output bounds, empty input ranges */
    const struct {
      const char *dataset, *attr;
      double      value;
      const char *message;
    } values[] = {
      {"network/weights",  NULL,    NAN,  "dataset '/network/weights' holds a non-finite value (weights[0] = nan"},
      {NULL,               "u_min", 1e3,  "attributes '/network/u_min' = 1000"                                     },
      {NULL,               "u_max", NAN,  "must be finite with u_min < u_max"                                      },
      {"network/input_hi", NULL,    -1e9, "input 0 has lo"                                                         },
    };
    for (size_t c = 0; c < sizeof(values) / sizeof(values[0]); c++) {
      StkNet net = make_net(PETSC_COMM_WORLD, 2, 2, 16, 2);
      assert_petsc(StkNetWrite(net, path));
      assert_petsc(StkNetDestroy(&net));
      poke(path, values[c].dataset, values[c].attr, values[c].value);
      expect_load_error(path, values[c].message);
    }
  }
  remove_file(path);
  expect_load_error(path, "cannot open the network file");
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_forward_closed_form),
  cmocka_unit_test(test_gradient_check),
  cmocka_unit_test(test_gradient_componentwise),
  cmocka_unit_test(test_initialization),
  cmocka_unit_test(test_fit_default_model),
  cmocka_unit_test(test_fit_default_problem),
  cmocka_unit_test(test_fit_rank_independent),
  cmocka_unit_test(test_h5_round_trip),
  cmocka_unit_test(test_h5_bad_files),
};

STK_TEST_MAIN(tests)
