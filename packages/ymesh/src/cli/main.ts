/** The `ymesh` command: parses argv, runs a command, stops it cleanly on SIGINT/SIGTERM. */
import { Anchor } from '../anchor/anchor.js'
import { parseCommand, type Command } from './args.js'
import { UsageError } from './errors.js'
import { describeRunning, runStart } from './start.js'

interface Stoppable { stop: () => Promise<void> }

const untilSignal = (running: Stoppable): void => {
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    process.stdout.write('\nstopping...\n')
    running.stop().then(() => {
      // wrtc keeps native handles alive after its peers are closed; nothing is left to flush.
      process.exit(0)
    }, (err: unknown) => {
      console.error(`error while stopping: ${String(err)}`)
      process.exit(1)
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

const run = async (command: Command): Promise<void> => {
  switch (command.kind) {
    case 'help':
      process.stdout.write(command.text)
      return
    case 'start': {
      const running = await runStart(command.args)
      process.stdout.write(describeRunning(running))
      untilSignal(running)
      return
    }
    case 'anchor': {
      const a = command.args
      const anchor = new Anchor({
        dataDir: a.dataDir,
        signaling: a.signaling,
        name: a.name,
        logger: { info: (m) => { console.log(m) }, warn: (m) => { console.warn(m) } }
      })
      await anchor.start()
      for (const room of a.rooms) await anchor.joinRoom(room)
      process.stdout.write(`anchor ${anchor.peerId} is running (data in ${a.dataDir}). Press Ctrl-C to stop.\n`)
      untilSignal(anchor)
    }
  }
}

/** Runs `ymesh` with argv (without node and the script); sets process.exitCode on failure. */
export const main = async (argv: readonly string[]): Promise<void> => {
  try {
    await run(parseCommand(argv))
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message)
      process.exitCode = 2
    } else {
      console.error(`ymesh: ${err instanceof Error ? err.message : String(err)}`)
      process.exitCode = 1
    }
  }
}
