/** The composer and the message list, mounted alone. */
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import MessageComposer from '../src/components/MessageComposer.vue'
import MessageList from '../src/components/MessageList.vue'
import type { ViewMessage } from '../src/stores/chat'

const message = (over: Partial<ViewMessage>): ViewMessage => ({
  id: 'm1', from: 'p', name: 'Alice', text: 'hello', at: 0, mine: false, status: null, queued: false, replyToText: null, ...over
})

describe('MessageComposer', () => {
  it('has a "Message" textbox and a "Send" button; Enter and the button send the trimmed text and clear it', async () => {
    const w = mount(MessageComposer, { props: { replyTo: null } })
    expect(w.find('label[for="message-input"]').text()).toBe('Message')
    expect(w.find('button[type="submit"]').text()).toBe('Send')
    const input = w.find('#message-input')
    await input.setValue('hi there')
    await input.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('send')).toEqual([['hi there']])
    expect((input.element as HTMLInputElement).value).toBe('')
    await input.setValue('second')
    await w.find('form').trigger('submit')
    expect(w.emitted('send')?.[1]).toEqual(['second'])
    await input.setValue('   ')
    await w.find('form').trigger('submit')
    expect(w.emitted('send')).toHaveLength(2)
    expect(w.emitted('typing')?.length).toBeGreaterThan(0)
  })

  it('shows what is being replied to, and cancels it', async () => {
    const w = mount(MessageComposer, { props: { replyTo: message({ text: 'the original' }) } })
    expect(w.text()).toContain('Replying to Alice')
    await w.find('button[aria-label="Cancel reply"]').trigger('click')
    expect(w.emitted('cancel-reply')).toHaveLength(1)
  })
})

describe('MessageList', () => {
  it('lists messages with their status (queued wins), quotes replies, and emits reply', async () => {
    const w = mount(MessageList, {
      props: {
        messages: [
          message({ id: 'a', text: 'from alice' }),
          message({ id: 'b', mine: true, text: 'mine read', status: 'read' }),
          message({ id: 'c', mine: true, text: 'mine stored', status: 'stored' }),
          message({ id: 'd', mine: true, text: 'mine queued', status: 'sending', queued: true, replyTo: 'a', replyToText: 'from alice' })
        ]
      }
    })
    expect(w.find('ol[aria-label="Messages"]').exists()).toBe(true)
    const items = w.findAll('li.message')
    expect(items.map((i) => i.find('.text').text())).toEqual(['from alice', 'mine read', 'mine stored', 'mine queued'])
    expect(items.map((i) => i.find('.status').exists() ? i.find('.status').text() : null)).toEqual([null, 'read', 'stored', 'queued'])
    expect(items[3]!.find('blockquote').text()).toBe('from alice')
    await items[0]!.find('button').trigger('click')
    expect(w.emitted('reply')?.[0]?.[0]).toMatchObject({ id: 'a' })
  })

  it('says so when there are no messages', () => {
    expect(mount(MessageList, { props: { messages: [] } }).text()).toContain('No messages yet')
  })
})
