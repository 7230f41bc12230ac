/**
 * A small pw.x input the suite submits: four atoms, the first two fixed (all three `if_pos` flags 0),
 * the last two mobile.
 */
export const QE_INPUT = `&CONTROL
  calculation = 'scf',
  prefix = 'conformance',
  outdir = './out',
  pseudo_dir = './pseudo',
/

&SYSTEM
  ibrav = 0,
  nat = 4,
  ntyp = 2,
  ecutwfc = 25.0,
  ecutrho = 200.0,
/

&ELECTRONS
  conv_thr = 1.0e-06,
/

ATOMIC_SPECIES
  Al  26.9815385  Al.pbe-n-kjpaw_psl.1.0.0.UPF
  H   1.00794     H.pbe-rrkjus_psl.1.0.0.UPF

CELL_PARAMETERS (angstrom)
  8.1000000000  0.0000000000  0.0000000000
  0.0000000000  8.1000000000  0.0000000000
  0.0000000000  0.0000000000  21.0750000000

ATOMIC_POSITIONS (angstrom)
  Al  0.00000000  0.00000000  7.50000000  0 0 0
  Al  2.02500000  2.02500000  7.50000000  0 0 0
  Al  0.00000000  2.02500000  9.52500000
  H   1.00000000  1.00000000  11.00000000  1 1 1

K_POINTS automatic
  3 3 1 0 0 0
`;

export const QE_ATOM_COUNT = 4;
export const QE_FIXED_INDICES = [0, 1];
export const QE_MOBILE_INDICES = [2, 3];

/** What a worker reports for the sample job: a complete `ZPEResult`. */
export const WORKER_RESULT = {
  calc_type: 'qe.zpe.v1',
  freqs_cm: [3050.25, 1210.5, 1185.75, 410.125, 395.5, 120.25],
  zpe_ev: 0.3953,
  s_vib_jmol_k: 12.875,
  mobile_indices: QE_MOBILE_INDICES,
  fixed_indices: QE_FIXED_INDICES,
  kpoints: [3, 3, 1],
  delta: 0.01,
  low_cut_cm: 50,
  temperature: 298.15,
  use_environ: false,
  qe_input: QE_INPUT,
  pseudo_dir: './pseudo',
  calc_start_time: '2026-02-15T09:30:00.123456+00:00',
  calc_end_time: '2026-02-15T09:42:10.654321+00:00',
  elapsed_seconds: 730.5,
  cache_checked: 6,
  cache_deleted: 0,
  ecutwfc: 25,
  ecutrho: 200,
};

export const SUMMARY_TEXT = 'ZPE (eV): 0.3953\nS_vib (J/mol/K): 12.875\nmobile atoms: 2, 3\n';
export const FREQS_CSV = 'mode,freq_cm\n1,3050.25\n2,1210.5\n3,1185.75\n4,410.125\n5,395.5\n6,120.25\n';
