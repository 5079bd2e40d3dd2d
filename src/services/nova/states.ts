// Instance states as Nova keeps them (nova/compute/vm_states.py, task_states.py, power_state.py)
// and the API status a user sees (nova/api/openstack/common.py _STATE_MAP).

export const POWER = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;

export const VM = {
  BUILDING: 'building',
  ACTIVE: 'active',
  STOPPED: 'stopped',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  ERROR: 'error',
  DELETED: 'deleted',
} as const;

export const TASK = {
  SCHEDULING: 'scheduling',
  NETWORKING: 'networking',
  SPAWNING: 'spawning',
  POWERING_OFF: 'powering-off',
  POWERING_ON: 'powering-on',
  REBOOTING: 'rebooting',
  REBOOT_STARTED: 'reboot_started',
  REBOOTING_HARD: 'rebooting_hard',
  REBOOT_STARTED_HARD: 'reboot_started_hard',
  PAUSING: 'pausing',
  UNPAUSING: 'unpausing',
  SUSPENDING: 'suspending',
  RESUMING: 'resuming',
  DELETING: 'deleting',
} as const;

/** The API status of a vm_state/task_state pair. */
export function statusOf(vmState: string, taskState: string | null): string {
  switch (vmState) {
    case VM.BUILDING:
      return 'BUILD';
    case VM.ACTIVE:
      if (taskState === TASK.REBOOTING || taskState === TASK.REBOOT_STARTED) return 'REBOOT';
      if (taskState === TASK.REBOOTING_HARD || taskState === TASK.REBOOT_STARTED_HARD) return 'HARD_REBOOT';
      return 'ACTIVE';
    case VM.STOPPED:
      return 'SHUTOFF';
    case VM.PAUSED:
      return 'PAUSED';
    case VM.SUSPENDED:
      return 'SUSPENDED';
    case VM.ERROR:
      return 'ERROR';
    case VM.DELETED:
      return 'DELETED';
    default:
      return 'UNKNOWN';
  }
}

/** The vm_states a status filter (`--status ACTIVE`) selects. */
export function vmStatesOfStatus(status: string): string[] | null {
  switch (status.toUpperCase()) {
    case 'BUILD':
      return [VM.BUILDING];
    case 'ACTIVE':
    case 'REBOOT':
    case 'HARD_REBOOT':
      return [VM.ACTIVE];
    case 'SHUTOFF':
      return [VM.STOPPED];
    case 'PAUSED':
      return [VM.PAUSED];
    case 'SUSPENDED':
      return [VM.SUSPENDED];
    case 'ERROR':
      return [VM.ERROR];
    case 'DELETED':
      return [VM.DELETED];
    default:
      return null;
  }
}
