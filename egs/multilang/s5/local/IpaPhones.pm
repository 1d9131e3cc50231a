# espeak-ng's IPA (--ipa --sep=_) as phones, one token a phone: used by make_data_dirs.pl
# and by the Common Voice recipe, so both write the same phone inventory.
# Language-switch marks "(en)" and the stress marks ˈ ˌ are dropped (stress is not a
# segment, and espeak-ng puts it on the syllable's first phone, which would double the
# inventory); '?' (Danish stød) is written ʔ; the length marks ː ˑ stay part of their
# vowel or consonant (aː and a are different phones: length is phonemic in cs, sk, de,
# hr ...). Word boundaries are not marked.
package IpaPhones;
use strict;
use warnings;
use utf8;
use Unicode::Normalize qw(NFC);
use Exporter 'import';
our @EXPORT_OK = qw(ipa_to_phones);

sub ipa_to_phones {
  my $ipa = shift;
  $ipa =~ s/\([a-z]{2,3}(-[a-z0-9]+)*\)//g;   # language switches
  $ipa =~ s/[\x{2C8}\x{2CC}]//g;               # primary and secondary stress
  $ipa =~ s/[-\x{203F}]//g;                    # liaison marks
  $ipa =~ s/\?/\x{294}/g;                        # glottal stop (Danish stod) as IPA
  my @p;
  for my $tok (split /[_\s]+/, NFC($ipa)) {
    next if $tok eq '';
    if ($tok =~ /^[\x{2D0}\x{2D1}]+$/ && @p) { $p[-1] .= $tok; next; }   # a lone length mark
    push @p, $tok;
  }
  return join(' ', @p);
}

1;
