# R side of benchmarks/mse_speed.py: SparseMSE's estimatepopulation (stepwise selection,
# p-threshold 0.02, nonparametric bootstrap with the selection rerun in every replicate,
# jackknife acceleration, BCa limits) on one capture table.
#
# Usage: Rscript benchmarks/mse_speed.R TABLE.csv NBOOT SEED
# TABLE.csv has one 0/1 column per list and a last column `count` (tests/mse/data).
# Prints one line: seconds estimate bca_low bca_high (seconds: the estimatepopulation
# call only, without R's start-up and package loading).
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) stop("usage: Rscript mse_speed.R TABLE.csv NBOOT SEED")
suppressPackageStartupMessages(library(SparseMSE))
zdat <- read.csv(args[1])
t0 <- proc.time()[["elapsed"]]
res <- estimatepopulation(
  zdat, nboot = as.integer(args[2]), pthresh = 0.02, iseed = as.integer(args[3]),
  alpha = c(0.025, 0.975)
)
sec <- proc.time()[["elapsed"]] - t0
cat(sprintf("%.3f %.6f %.6f %.6f\n", sec, res$popest, res$BCaquantiles[1], res$BCaquantiles[2]))
