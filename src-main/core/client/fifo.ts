/** A FIFO with O(1) shift: the load balancer's queue of one group of tasks. */
export class Fifo<T> {
  private items: T[] = []
  private head = 0
  get size(): number {
    return this.items.length - this.head
  }
  push(item: T): void {
    this.items.push(item)
  }
  peek(): T | undefined {
    return this.items[this.head]
  }
  shift(): T | undefined {
    const item = this.items[this.head]
    this.items[this.head++] = undefined as T
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }
  remove(item: T): boolean {
    const i = this.items.indexOf(item, this.head)
    if (i < 0) return false
    this.items.splice(i, 1)
    return true
  }
  drain(): T[] {
    const rest = this.items.slice(this.head)
    this.items = []
    this.head = 0
    return rest
  }
}
