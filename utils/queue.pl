#!/usr/bin/env perl
# Runs a command as a GridEngine job array, with run.pl's interface and log format:
#   queue.pl [--mem 4G] [--num-threads N] [--time 1:00:00] [--gpu N] [--max-jobs-run N]
#            [--config conf/queue.conf] [--timeout S] JOB=1:N log/x.JOB.log cmd args...
# Submits `qsub -t 1:N [-tc M] script` (the script runs task $SGE_TASK_ID), waits for every
# task's done marker on the shared filesystem, and fails (exit 1) naming the log of the first
# failed, cancelled or killed task. `queue.pl --help` lists the options.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use JobArray;

my $default_config = <<'CONF';
command qsub -V -cwd -S /bin/bash -j y
option time=* -l h_rt=$0
option mem=* -l mem_free=$0,ram_free=$0
option mem=0
option num_threads=* -pe smp $0
option num_threads=1
default gpu=0
option gpu=0
option gpu=* -l gpu=$0 -q g.q
CONF

sub submit {
  my ($j, $cmd) = @_;
  my @tc = $j->{opts}{max_jobs_run} ? ("-tc", $j->{opts}{max_jobs_run}) : ();
  my @c = (@$cmd, "-t", "$j->{first}:$j->{last}", @tc, "-N", "j$j->{name}",
           "-o", $j->{queue_log}, $j->{script});
  my $out = JobArray::capture(@c);
  my $rc = $?;
  if (open(my $fh, '>>', $j->{queue_log})) { print $fh "# " . join(" ", @c) . "\n$out"; close $fh; }
  die "queue.pl: qsub failed: " . join(" ", @c) . "\n$out" if $rc != 0;
  $out =~ /Your job(?:-array)? (\d+)/ or die "queue.pl: cannot find the job id in the output of qsub:\n$out";
  return $1;
}

# GridEngine's `qstat -j` tells whether the array still exists, not which tasks: while it
# does, every unfinished task counts as queued; () once it is gone; (undef) if qstat fails.
sub active_tasks {
  my ($id, $j) = @_;
  my $out = JobArray::capture("qstat", "-j", $id);
  return ($j->{first} .. $j->{last}) if $? == 0;
  return () if $out =~ /do not exist/i;
  return (undef);
}

sub cancel { my ($id) = @_; system("qdel", $id); }

if (@ARGV && $ARGV[0] =~ /^--?h(elp)?$/) { print JobArray::usage("queue.pl"); exit 0; }
JobArray::run({ prog => "queue.pl", task_var => "SGE_TASK_ID",
                config_file => "conf/queue.conf", default_config => $default_config,
                submit => \&submit, active_tasks => \&active_tasks, cancel => \&cancel },
              @ARGV);
