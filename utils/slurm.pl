#!/usr/bin/env perl
# Runs a command as a Slurm job array, with run.pl's interface and log format:
#   slurm.pl [--mem 4G] [--num-threads N] [--time 1:00:00] [--gpu N] [--max-jobs-run N]
#            [--config conf/slurm.conf] [--timeout S] JOB=1:N log/x.JOB.log cmd args...
# Submits `sbatch --array=1-N[%M] script` (the script runs task $SLURM_ARRAY_TASK_ID),
# waits for every task's done marker on the shared filesystem, and fails (exit 1) naming
# the log of the first failed, cancelled or killed task. `slurm.pl --help` lists options.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use JobArray;

my $default_config = <<'CONF';
command sbatch --export=ALL --ntasks=1 --nodes=1
option time=* --time=$0
option mem=* --mem=$0
option mem=0
option num_threads=* --cpus-per-task=$0
option num_threads=1 --cpus-per-task=1
default gpu=0
option gpu=0
option gpu=* --gres=gpu:$0
CONF

sub submit {
  my ($j, $cmd) = @_;
  my $array = "$j->{first}-$j->{last}";
  $array .= "%$j->{opts}{max_jobs_run}" if $j->{opts}{max_jobs_run};
  my @c = (@$cmd, "--parsable", "--array=$array", "--job-name=$j->{name}",
           "--output=$j->{queue_log}", "--open-mode=append", $j->{script});
  my $out = JobArray::capture(@c);
  my $rc = $?;
  if (open(my $fh, '>>', $j->{queue_log})) { print $fh "# " . join(" ", @c) . "\n$out"; close $fh; }
  $? = $rc;
  die "slurm.pl: sbatch failed: " . join(" ", @c) . "\n$out" if $? != 0;
  $out =~ /^(\d+)/m or die "slurm.pl: cannot find the job id in the output of sbatch:\n$out";
  return $1;
}

# The array's tasks still pending or running; () when none; (undef) when squeue fails.
sub active_tasks {
  my ($id) = @_;
  my $out = JobArray::capture("squeue", "-h", "-r", "-j", $id, "-o", "%K");
  return () if $out =~ /Invalid job id/i;
  return (undef) if $? != 0;
  return grep { /^\d+$/ } split /\s+/, $out;
}

sub cancel { my ($id) = @_; system("scancel", $id); }

if (@ARGV && $ARGV[0] =~ /^--?h(elp)?$/) { print JobArray::usage("slurm.pl"); exit 0; }
JobArray::run({ prog => "slurm.pl", task_var => "SLURM_ARRAY_TASK_ID",
                config_file => "conf/slurm.conf", default_config => $default_config,
                submit => \&submit, active_tasks => \&active_tasks, cancel => \&cancel },
              @ARGV);
